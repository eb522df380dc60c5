package dev.portico.netty;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.portico.api.CloseReason;
import dev.portico.api.LogSafe;
import io.netty.channel.ConnectTimeoutException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Short, operator-readable reasons for I/O failures. Netty's native transports word them as
 * {@code bind(..) failed with error(-98): Address already in use}; an operator wants the plain
 * words and what to do, so the OS reason is recognised by its text (the same for epoll, io_uring
 * and NIO) and said again in plain words.
 */
final class NettyErrors {
    private static final String EMFILE = "Too many open files";
    private static final Pattern TIMEOUT_MILLIS = Pattern.compile("after (\\d+) ms");
    private static final Pattern QUOTED = Pattern.compile("'([^']+)'");

    private NettyErrors() {
    }

    /** Why a connect (to a backend, or a health probe) failed. */
    static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        if (outOfDescriptors(t)) {
            return tooManyOpenFiles(t);
        }
        if (t instanceof ConnectTimeoutException) {
            Matcher m = TIMEOUT_MILLIS.matcher(String.valueOf(t.getMessage()));
            return m.find() ? "timed out after " + m.group(1) + " ms" : "timed out";
        }
        UnknownHostException unknown = find(t, UnknownHostException.class);
        if (unknown != null) {
            return "cannot resolve host name '" + hostName(unknown) + "'";
        }
        String m = t.getMessage();
        String plain = plainWords(m);
        if (plain != null) {
            return plain;
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /**
     * Whether {@code t} says the peer reset an established connection (ECONNRESET), as opposed to
     * refusing it, timing out or a local failure.
     */
    static boolean isReset(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && (m.contains("reset by peer") || m.contains("Connection reset") || m.contains("error(-104)"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the failure is EMFILE or ENFILE anywhere in its causes: Netty wraps a socket that
     * could not be created as "Unable to create Channel from class ..." around the OS error.
     */
    static boolean outOfDescriptors(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m != null && m.contains(EMFILE)) {
                return true;
            }
        }
        return false;
    }

    private static String tooManyOpenFiles(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m != null && m.contains(EMFILE + " in system")) {
                return "too many open files in the system (ENFILE)";
            }
        }
        long limit = openFilesLimit();
        return "too many open files (limit " + (limit > 0 ? limit : "unknown") + ")";
    }

    /**
     * Loads what the out-of-descriptors paths use while a descriptor to load it with is still
     * free (a class from a directory or a native library needs one), and returns the open-files
     * limit for the start-up log line.
     */
    static long prepare() {
        LogSafe.escape("");
        LogLimiter.more(0);
        CloseReason.NO_DESCRIPTORS.ordinal();
        return openFilesLimit();
    }

    /**
     * The process's soft limit on open files, or -1 when it cannot be read. The engine reads it
     * once at start, which loads what reading it needs; at the limit there is no descriptor left
     * to load a class or a library with, so a failed read falls back to the last value.
     */
    static long openFilesLimit() {
        try {
            // The MXBean asks getrlimit, which needs no descriptor; reading /proc would need one.
            if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
                lastLimit = unix.getMaxFileDescriptorCount();
                return lastLimit;
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    lastLimit = Long.parseLong(line.substring("Max open files".length()).strip().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // Not Linux, or no descriptor left: the last value read, or "unknown".
            return lastLimit;
        }
        return lastLimit;
    }

    private static volatile long lastLimit = -1;

    /**
     * Why a listener could not bind {@code address}, with what to do about it; {@code retry} is how
     * often the engine tries again.
     */
    static String describeBind(Throwable t, InetSocketAddress address, Duration retry) {
        String m = t == null ? null : String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
        String again = "; retrying every " + seconds(retry);
        if (m != null && m.contains("permission denied")) {
            if (address.getPort() < 1024) {
                return "permission denied: ports below 1024 need CAP_NET_BIND_SERVICE (the systemd unit grants "
                        + "it; for a manual run: sudo setcap cap_net_bind_service=+ep $(readlink -f $(which java)))"
                        + again;
            }
            return "permission denied" + again;
        }
        if (m != null && m.contains("address already in use")) {
            return "address already in use (another process listens there: see 'ss -ltnp sport = :"
                    + address.getPort() + "')" + again;
        }
        if (m != null && m.contains("cannot assign requested address")) {
            return "address not available: " + address.getAddress().getHostAddress() + " is not on this machine "
                    + "(a floating address another box holds? --freebind listens on it anyway)" + again;
        }
        return describe(t) + again;
    }

    /**
     * Why a listener with SO_REUSEPORT does not take {@code address}: {@code other} (another
     * process's socket) would share it.
     */
    static String describeForeignListener(InetSocketAddress address, String other, boolean udp, Duration retry) {
        return "address already in use (another process " + (udp ? "is bound to " : "listens on ") + other
                + ", and with SO_REUSEPORT the two would share the port; see 'ss -" + (udp ? "lunp" : "ltnp")
                + " sport = :" + address.getPort() + "')" + "; retrying every " + seconds(retry);
    }

    private static String plainWords(String message) {
        if (message == null) {
            return null;
        }
        String m = message.toLowerCase(Locale.ROOT);
        if (m.contains("connection refused")) {
            return "connection refused";
        }
        if (m.contains("no route to host")) {
            return "no route to host";
        }
        if (m.contains("network is unreachable") || m.contains("network unreachable")) {
            return "network unreachable";
        }
        if (m.contains("connection timed out")) {
            return "timed out";
        }
        if (m.contains("connection reset")) {
            return "connection reset";
        }
        // Netty's native transports prefix "connect(..) failed: " or "...failed with error(-N): ".
        int i = message.lastIndexOf("): ");
        if (message.contains("(..) failed")) {
            int j = message.indexOf("failed: ");
            return i >= 0 ? message.substring(i + 3) : j >= 0 ? message.substring(j + 8) : message;
        }
        return null;
    }

    /** The name the resolver gave up on: Netty's DNS resolver quotes it, the JDK's puts it first. */
    private static String hostName(UnknownHostException e) {
        String m = String.valueOf(e.getMessage());
        Matcher q = QUOTED.matcher(m);
        if (q.find()) {
            return q.group(1);
        }
        int colon = m.indexOf(':');
        return colon > 0 ? m.substring(0, colon) : m;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}

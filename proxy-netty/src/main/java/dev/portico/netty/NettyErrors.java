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

/** Short, operator-readable reasons for I/O failures. */
final class NettyErrors {
    private static final String EMFILE = "Too many open files";

    private NettyErrors() {
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        if (outOfDescriptors(t)) {
            return tooManyOpenFiles(t);
        }
        if (t instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        String m = t.getMessage();
        if (t instanceof ConnectException && m != null) {
            // Netty's native transports prefix "connect(..) failed: "; keep the OS reason.
            int i = m.indexOf("failed: ");
            return i >= 0 ? m.substring(i + 8) : m;
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
}

package dev.portico.netty;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds another process's socket on a port the engine binds with SO_REUSEPORT. The option lets
 * every socket of the same user bind that port, so a second router started by hand next to the
 * running one (or any program that also sets it) would share the port and take half of its
 * connections instead of failing with "address already in use". The kernel says nothing, so the
 * engine looks: {@code /proc/net/tcp}, {@code tcp6} (listening sockets) or {@code udp},
 * {@code udp6} (bound sockets), less the sockets this process holds ({@code /proc/self/fd}).
 * Where {@code /proc} cannot be read (not Linux), nothing is found.
 */
final class ForeignListeners {
    private static final Logger log = LoggerFactory.getLogger(ForeignListeners.class);
    private static final String TCP_LISTEN = "0A";
    private static final String UDP_UNCONNECTED = "07";

    private ForeignListeners() {
    }

    /**
     * Another process's socket that a bind of {@code addr} with SO_REUSEPORT would share, as
     * {@code address:port}, or {@code null} for none. Cheap when the port is free: a plain bind of
     * a probe socket (without SO_REUSEPORT) tells; only when that bind finds the port in use are the
     * {@code /proc} tables read, to tell this process's own sockets (a listener moving between
     * frontends, a draining one) from another's. Reading them for every bind would make an apply
     * of thousands of frontends quadratic.
     */
    static String holder(InetSocketAddress addr, boolean udp) {
        if (addr.getPort() == 0 || probeBinds(addr, udp)) {
            return null;
        }
        return find(addr, udp, Path.of("/proc"));
    }

    /** Whether a socket without SO_REUSEPORT can bind {@code addr}; any failure but "in use" counts as yes. */
    private static boolean probeBinds(InetSocketAddress addr, boolean udp) {
        try (NetworkChannel probe = udp ? DatagramChannel.open() : ServerSocketChannel.open()) {
            probe.bind(addr);
            return true;
        } catch (BindException e) {
            // Only "in use" says someone holds the port; anything else (an address not on this
            // machine, a privileged port) the real bind reports in its own words.
            return e.getMessage() == null || !e.getMessage().toLowerCase(Locale.ROOT).contains("in use");
        } catch (IOException e) {
            log.debug("probe bind of {} failed: {}", addr, e.toString());
            return true;
        }
    }

    static String find(InetSocketAddress addr, boolean udp, Path proc) {
        if (addr.getPort() == 0) {
            return null;
        }
        String[] tables = udp ? new String[] {"net/udp", "net/udp6"} : new String[] {"net/tcp", "net/tcp6"};
        Set<String> ours = null;
        for (String table : tables) {
            List<String> lines;
            try {
                lines = Files.readAllLines(proc.resolve(table));
            } catch (IOException e) {
                log.debug("cannot read {}: {}", proc.resolve(table), e.toString());
                continue;
            }
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).trim().split("\\s+");
                if (f.length < 10 || !f[3].equals(udp ? UDP_UNCONNECTED : TCP_LISTEN)) {
                    continue;
                }
                InetSocketAddress local = parse(f[1]);
                if (local == null || local.getPort() != addr.getPort() || !overlap(local.getAddress(), addr.getAddress())) {
                    continue;
                }
                if (ours == null) {
                    ours = ourSocketInodes(proc);
                    if (ours == null) {
                        return null; // cannot tell ours from theirs: the bind stands
                    }
                }
                if (!ours.contains(f[9])) {
                    return local.getAddress().getHostAddress() + ":" + local.getPort();
                }
            }
        }
        return null;
    }

    private static boolean overlap(InetAddress a, InetAddress b) {
        return a.isAnyLocalAddress() || b.isAnyLocalAddress() || a.equals(b);
    }

    /** {@code 0100007F:1F90} (IPv4) or 32 hex digits (IPv6), each 32-bit word in host byte order. */
    static InetSocketAddress parse(String hexAddressPort) {
        int colon = hexAddressPort.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String hex = hexAddressPort.substring(0, colon);
        if (hex.length() != 8 && hex.length() != 32) {
            return null;
        }
        try {
            byte[] b = new byte[hex.length() / 2];
            for (int word = 0; word < b.length / 4; word++) {
                // /proc prints each word as the host's int; the bytes are in network order in memory.
                int v = Integer.parseUnsignedInt(hex.substring(word * 8, word * 8 + 8), 16);
                if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    v = Integer.reverseBytes(v);
                }
                b[word * 4] = (byte) (v >>> 24);
                b[word * 4 + 1] = (byte) (v >>> 16);
                b[word * 4 + 2] = (byte) (v >>> 8);
                b[word * 4 + 3] = (byte) v;
            }
            int port = Integer.parseInt(hexAddressPort.substring(colon + 1), 16);
            return new InetSocketAddress(InetAddress.getByAddress(b), port);
        } catch (NumberFormatException | UnknownHostException e) {
            return null;
        }
    }

    /** The inodes of this process's sockets, {@code null} if they cannot be listed. */
    private static Set<String> ourSocketInodes(Path proc) {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[") && target.endsWith("]")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // A descriptor closed while listing: not a socket of a listener being checked.
                    log.trace("fd {} went away while listing: {}", fd, closedMeanwhile.toString());
                }
            }
        } catch (IOException e) {
            log.debug("cannot list {}: {}", proc.resolve("self/fd"), e.toString());
            return null;
        }
        return inodes;
    }
}

package dev.portico.netty;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * The I/O transport. {@link #AUTO} takes epoll when its native library loads (Linux x86_64 and
 * aarch64), else NIO. io_uring is held back: with Netty 4.2.18 the relay torture suite finds
 * connections on it whose last bytes to a slow reader stall (replayable seeds in docs/testing.md),
 * so it is available only when the JVM runs with {@code -Dportico.iouring.experimental=true}.
 */
public enum Transport {
    /** Epoll where its native library loads, else nio. */
    AUTO,
    /** Linux epoll through Netty's native transport: the default on Linux. */
    EPOLL,
    /** Linux io_uring through Netty's native transport; held back unless {@link #IO_URING_EXPERIMENTAL} is set. */
    IO_URING,
    /** Java's NIO selector: everywhere, without SO_REUSEPORT or IP_FREEBIND. */
    NIO;

    /** The system property that makes {@link #IO_URING} available despite its known stall. */
    public static final String IO_URING_EXPERIMENTAL = "portico.iouring.experimental";

    static {
        // Netty 4.2.18's io_uring transport waits for readability with a multishot POLL_ADD, which
        // it treats as edge-triggered; a backend that sends a few bytes and resets at once can
        // leave it waiting for an edge that never comes, so the reset never reaches the client
        // (about half the runs of RelayTest#aBackendThatResetsRightAfterItsFirstBytes...). One-shot
        // polls re-check the socket each time. Set before the io_uring classes load; a value the
        // user gave is kept.
        if (System.getProperty("io.netty.iouring.pollAddMultishotEnabled") == null) {
            System.setProperty("io.netty.iouring.pollAddMultishotEnabled", "false");
        }
    }

    /**
     * Reads a transport's name as configuration writes it.
     *
     * @param name {@code auto}, {@code epoll}, {@code io_uring} (or {@code iouring}), {@code nio};
     *             case and dashes do not matter
     * @return the transport
     * @throws IllegalArgumentException for any other name, listing the valid ones
     */
    public static Transport fromName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT).replace("-", "_");
        return switch (n) {
            case "auto" -> AUTO;
            case "epoll" -> EPOLL;
            case "io_uring", "iouring", "uring" -> IO_URING;
            case "nio" -> NIO;
            default -> throw new IllegalArgumentException("unknown transport '" + name
                    + "' (one of: auto, epoll, io_uring, nio)");
        };
    }

    /**
     * Whether this transport can run here; {@link #unavailabilityCause()} says why not.
     *
     * @return true if its native library loaded (and, for io_uring, it was asked for)
     */
    public boolean isAvailable() {
        return switch (this) {
            case AUTO, NIO -> true;
            case EPOLL -> Epoll.isAvailable();
            case IO_URING -> IoUring.isAvailable() && Boolean.getBoolean(IO_URING_EXPERIMENTAL);
        };
    }

    /**
     * Why this transport cannot run here, in words for a log line.
     *
     * @return the cause, or {@code "available"}
     */
    public String unavailabilityCause() {
        if (this == IO_URING && IoUring.isAvailable() && !Boolean.getBoolean(IO_URING_EXPERIMENTAL)) {
            return "held back: with Netty 4.2.18 the last bytes of a connection to a slow reader can stall on "
                    + "io_uring (found by the relay torture suite); epoll is the default and does not; start the "
                    + "JVM with -D" + IO_URING_EXPERIMENTAL + "=true to use io_uring anyway";
        }
        Throwable t = switch (this) {
            case EPOLL -> Epoll.unavailabilityCause();
            case IO_URING -> IoUring.unavailabilityCause();
            default -> null;
        };
        return t == null ? "available" : String.valueOf(t.getMessage() == null ? t : t.getMessage());
    }

    /**
     * The concrete transport this one stands for here.
     *
     * @return this transport, or for {@link #AUTO} epoll where available, else nio
     * @throws IllegalStateException if this transport is not available here, with the cause
     */
    public Transport resolve() {
        if (this != AUTO) {
            if (!isAvailable()) {
                throw new IllegalStateException("transport " + configName() + " is not available here: "
                        + unavailabilityCause());
            }
            return this;
        }
        return EPOLL.isAvailable() ? EPOLL : NIO;
    }

    /**
     * The name configuration and logs use.
     *
     * @return {@code auto}, {@code epoll}, {@code io_uring} or {@code nio}
     */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    IoHandlerFactory ioHandlerFactory() {
        return switch (resolve()) {
            case EPOLL -> StableEpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
            default -> NioIoHandler.newFactory();
        };
    }

    Class<? extends ServerChannel> serverChannelClass() {
        return switch (resolve()) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            default -> NioServerSocketChannel.class;
        };
    }

    Class<? extends SocketChannel> socketChannelClass() {
        return switch (resolve()) {
            case EPOLL -> EpollSocketChannel.class;
            case IO_URING -> IoUringSocketChannel.class;
            default -> NioSocketChannel.class;
        };
    }

    /**
     * A new, unregistered TCP channel for a connection to {@code remote}: on epoll an IPv4 or IPv6
     * socket by the address (no dual-stack set-up for an IPv4 backend), dual-stack for a name not
     * resolved yet; made by its constructor, not by reflection.
     *
     * @throws io.netty.channel.ChannelException when no socket can be opened (no descriptor left)
     */
    SocketChannel newSocketChannel(InetSocketAddress remote) {
        return switch (resolve()) {
            case EPOLL -> remote.isUnresolved() ? new EpollSocketChannel()
                    : new EpollSocketChannel(remote.getAddress() instanceof Inet6Address
                            ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET);
            case IO_URING -> new IoUringSocketChannel();
            default -> new NioSocketChannel();
        };
    }

    Class<? extends DatagramChannel> datagramChannelClass() {
        return switch (resolve()) {
            case EPOLL -> EpollDatagramChannel.class;
            case IO_URING -> IoUringDatagramChannel.class;
            default -> NioDatagramChannel.class;
        };
    }
}

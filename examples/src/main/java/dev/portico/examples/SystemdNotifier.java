package dev.portico.examples;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The systemd notification protocol ({@code sd_notify}) without a native library of our own:
 * datagrams of {@code KEY=VALUE} lines to the Unix socket named by {@code $NOTIFY_SOCKET}, sent
 * through Netty's epoll domain datagram channel. {@code READY=1} tells a {@code Type=notify} unit
 * that the listeners are up, {@code STATUS=} is what {@code systemctl status} shows, and
 * {@code WATCHDOG=1} keeps a {@code WatchdogSec=} unit from being restarted.
 *
 * <p>Without {@code $NOTIFY_SOCKET} (not started by systemd) every method does nothing. The
 * watchdog ping asks the engine for its status first, so an engine whose control thread hangs
 * stops the pings and systemd restarts the service.
 */
final class SystemdNotifier implements AutoCloseable {

    /** Does nothing: no {@code $NOTIFY_SOCKET}, or no way to reach it. */
    static final SystemdNotifier NONE = new SystemdNotifier(null, null, null, 0);

    private final Logger log;
    private final EventLoopGroup loop;
    private final Channel channel;
    private final DomainSocketAddress target;
    private final long watchdogMicros;
    private volatile Supplier<String> status = () -> null;
    // The notifier's event loop only.
    private String lastStatus;
    private boolean sendFailed;

    private SystemdNotifier(Logger log, EventLoopGroup loop, Channel channel, DomainSocketAddress target,
                            long watchdogMicros) {
        this.log = log;
        this.loop = loop;
        this.channel = channel;
        this.target = target;
        this.watchdogMicros = watchdogMicros;
    }

    private SystemdNotifier(Logger log, Channel channel, DomainSocketAddress target, long watchdogMicros) {
        this(log, null, channel, target, watchdogMicros);
    }

    /**
     * A notifier for the socket {@code env} names ({@code NOTIFY_SOCKET}: a path, or {@code @name}
     * in the abstract namespace), pinging the watchdog when {@code WATCHDOG_USEC} is set for this
     * process; {@link #NONE} when there is nothing to notify or no way to.
     */
    static SystemdNotifier fromEnvironment(Map<String, String> env, Logger log) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isBlank()) {
            return NONE;
        }
        if (!Epoll.isAvailable()) {
            log.warn("systemd readiness notification is not supported here: it needs the epoll transport ({}); "
                    + "use Type=simple in the unit", Epoll.unavailabilityCause());
            return NONE;
        }
        long watchdog = watchdogMicros(env, log);
        // The Linux abstract namespace is spelt with a leading NUL; systemd writes it as '@'.
        String path = socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("portico-systemd", true),
                EpollIoHandler.newFactory());
        try {
            // Neither bound nor connected, like sd_notify's socket: each datagram names the target
            // (sendto), so a socket that systemd re-creates is still found. Such a channel only
            // writes when it counts as active on registration.
            Channel ch = new io.netty.bootstrap.Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                    .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true)
                    .handler(new ChannelInboundHandlerAdapter()).register().sync().channel();
            SystemdNotifier n = new SystemdNotifier(log, loop, ch, new DomainSocketAddress(path), watchdog);
            log.debug("notifying systemd at {}{}", socket, watchdog > 0 ? ", watchdog every " + watchdog / 2000 + " ms" : "");
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            return NONE;
        } catch (RuntimeException e) {
            log.warn("cannot open a socket to notify systemd at {}: {}", socket, e.toString());
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            return NONE;
        }
    }

    /** {@code WATCHDOG_USEC} when it is meant for this process ({@code WATCHDOG_PID} unset or ours), else 0. */
    private static long watchdogMicros(Map<String, String> env, Logger log) {
        String usec = env.get("WATCHDOG_USEC");
        if (usec == null || usec.isBlank()) {
            return 0;
        }
        String pid = env.get("WATCHDOG_PID");
        if (pid != null && !pid.isBlank() && !pid.trim().equals(Long.toString(ProcessHandle.current().pid()))) {
            return 0;
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return Math.max(0, micros);
        } catch (NumberFormatException e) {
            log.warn("WATCHDOG_USEC={} is not a number of microseconds; not pinging the systemd watchdog", usec);
            return 0;
        }
    }

    boolean enabled() {
        return channel != null;
    }

    /** Where {@code STATUS=} lines come from ({@code serving N frontend(s), M listening}). */
    void statusFrom(Supplier<String> supplier) {
        status = Objects.requireNonNull(supplier, "supplier");
    }

    /** {@code READY=1} with the status: at start, once the listeners are bound, and after a reload. */
    void ready() {
        run(() -> {
            lastStatus = status.get();
            send("READY=1" + (lastStatus == null ? "" : "\nSTATUS=" + lastStatus));
        });
        startWatchdogOnce();
    }

    /** A new {@code STATUS=} if it changed: after every apply. */
    void statusChanged() {
        run(this::sendStatusIfChanged);
    }

    /** {@code RELOADING=1}: a SIGHUP reload starts; {@link #ready()} ends it. */
    void reloading() {
        // MONOTONIC_USEC is what Type=notify-reload wants with it; HotSpot's nanoTime is CLOCK_MONOTONIC on Linux.
        long now = TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
        run(() -> send("RELOADING=1\nMONOTONIC_USEC=" + now));
    }

    /** {@code STOPPING=1}: SIGTERM, draining. Waits briefly, as the process ends soon after. */
    void stopping() {
        if (!enabled()) {
            return;
        }
        try {
            loop.submit(() -> send("STOPPING=1")).await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean watchdogStarted;

    private void startWatchdogOnce() {
        if (!enabled() || watchdogMicros <= 0) {
            return;
        }
        run(() -> {
            if (watchdogStarted) {
                return;
            }
            watchdogStarted = true;
            long every = Math.max(1, watchdogMicros / 2);
            loop.scheduleAtFixedRate(() -> {
                sendStatusIfChanged();
                send("WATCHDOG=1");
            }, every, every, TimeUnit.MICROSECONDS);
        });
    }

    private void sendStatusIfChanged() {
        String now = status.get();
        if (now != null && !now.equals(lastStatus)) {
            lastStatus = now;
            send("STATUS=" + now);
        }
    }

    private void run(Runnable task) {
        if (enabled()) {
            loop.execute(task);
        }
    }

    private void send(String message) {
        channel.writeAndFlush(new DomainDatagramPacket(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8), target))
                .addListener(f -> {
                    if (!f.isSuccess() && !sendFailed) {
                        // Once: a socket that is gone stays gone, and the service runs on regardless.
                        sendFailed = true;
                        log.warn("cannot notify systemd at {}: {}", target.path().replace('\0', '@'),
                                f.cause().toString());
                    }
                });
    }

    @Override
    public void close() {
        if (enabled()) {
            channel.close();
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}

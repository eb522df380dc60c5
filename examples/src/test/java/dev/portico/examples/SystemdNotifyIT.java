package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router under {@code Type=notify}: this test plays systemd, with its own Unix datagram socket
 * as {@code $NOTIFY_SOCKET}, and reads what the launcher tells it.
 */
class SystemdNotifyIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final List<String> everything = new CopyOnWriteArrayList<>();
    private EventLoopGroup group;
    private Channel systemd;
    private Path socket;
    private TcpServer backend;

    @BeforeEach
    void listenAsSystemd() throws Exception {
        assumeTrue(Epoll.isAvailable(), "the notification socket needs epoll: " + Epoll.unavailabilityCause());
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        socket = dir.resolve("notify");
        systemd = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                        String m = p.content().toString(StandardCharsets.UTF_8);
                        everything.add(m);
                        messages.add(m);
                    }
                })
                .bind(new DomainSocketAddress(socket.toString())).sync().channel();
        backend = TcpServer.namedEcho("A");
    }

    @AfterEach
    void stop() throws IOException {
        if (systemd != null) {
            systemd.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** The next message that contains {@code wanted}, skipping others; fails after {@link #WAIT}. */
    private String next(String wanted) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            String m = messages.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertThat(m).as("a notification with " + wanted + " within " + WAIT).isNotNull();
            if (m.contains(wanted)) {
                return m;
            }
        }
    }

    @Test
    void routerTellsSystemdItIsReadyItsStatusReloadsWatchdogAndStopping() throws Exception {
        int port = Net.freePort();
        Path config = Files.writeString(dir.resolve("portico.yaml"), """
                apiVersion: v1
                frontends:
                  - bind: 127.0.0.1:%d
                    backends:
                      - address: %s
                """.formatted(port, backend.address()));

        Launchers.Launched router = launchers.portico(
                Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "2000000"),
                "router", "-c", config.toString(), "--drain-timeout", "1s");

        String ready = next("READY=1");
        assertThat(Net.accepts(port)).as("the port accepts once READY=1 is sent").isTrue();
        assertThat(ready).contains("STATUS=serving 1 frontend(s), 1 listening");
        // WatchdogSec=2s: a ping every second, again and again.
        next("WATCHDOG=1");
        next("WATCHDOG=1");

        router.signal("HUP");
        assertThat(next("RELOADING=1")).contains("MONOTONIC_USEC=");
        assertThat(next("READY=1")).contains("STATUS=serving 1 frontend(s), 1 listening");
        assertThat(router.process.isAlive()).isTrue();

        router.process.destroy();
        next("STOPPING=1");
        assertThat(router.exitCode(WAIT)).isZero();
    }

    @Test
    void aWatchdogMeantForAnotherProcessIsNotPinged() throws Exception {
        int port = Net.freePort();
        Path config = Files.writeString(dir.resolve("portico.yaml"), """
                apiVersion: v1
                frontends:
                  - bind: 127.0.0.1:%d
                    backends:
                      - address: %s
                """.formatted(port, backend.address()));

        Launchers.Launched router = launchers.portico(
                Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "200000", "WATCHDOG_PID", "1"),
                "router", "-c", config.toString(), "--drain-timeout", "1s");

        next("READY=1");
        // A reload and a stop take many 100 ms watchdog periods; not one ping comes.
        router.signal("HUP");
        next("RELOADING=1");
        router.process.destroy();
        next("STOPPING=1");
        assertThat(router.exitCode(WAIT)).isZero();
        assertThat(everything).noneMatch(m -> m.contains("WATCHDOG=1"));
    }
}

package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.Errors;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Listener and backend failures read in plain words with what to do, not as Netty's
 * {@code bind(..) failed with error(-98)}. The failures are provoked with real sockets where the
 * machine allows it; root binds low ports and this test sends nothing off the machine, so
 * "permission denied", "no route" and "unreachable" use the errno text the native transport makes.
 */
class NettyErrorsTest extends EngineTestSupport {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final List<EventLoopGroup> groups = new ArrayList<>();

    @AfterEach
    void stopGroups() {
        groups.forEach(EventLoopGroup::shutdownGracefully);
    }

    private EventLoopGroup group(Transport transport) {
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        groups.add(g);
        return g;
    }

    private static void assumeAvailable(String mode) {
        Transport t = Transport.fromName(mode);
        assumeTrue(t.isAvailable(), () -> mode + " is not available here: " + t.unavailabilityCause());
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void bindingATakenPortSaysAddressInUseNamesSsAndTheRetry(String mode) throws Exception {
        assumeAvailable(mode);
        Transport t = Transport.fromName(mode);
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            InetSocketAddress target = new InetSocketAddress(LOOPBACK, taken.getLocalPort());
            ChannelFuture f = new ServerBootstrap().group(group(t)).channel(t.serverChannelClass())
                    .childHandler(new ChannelInboundHandlerAdapter()).bind(target).awaitUninterruptibly();
            assertThat(f.isSuccess()).isFalse();

            String text = NettyErrors.describeBind(f.cause(), target, Duration.ofSeconds(2));

            assertThat(text).isEqualTo("address already in use (another process listens there: see "
                    + "'ss -ltnp sport = :" + taken.getLocalPort() + "'); retrying every 2 s");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void connectingToAClosedPortSaysConnectionRefused(String mode) throws Exception {
        assumeAvailable(mode);
        Transport t = Transport.fromName(mode);
        int closed = TcpServer.deadPort();
        ChannelFuture f = new Bootstrap().group(group(t)).channel(t.socketChannelClass())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(new InetSocketAddress(LOOPBACK, closed)).awaitUninterruptibly();

        assertThat(NettyErrors.describe(f.cause())).isEqualTo("connection refused");
    }

    @Test
    void aConnectThatGetsNoAnswerSaysTimedOutAfterTheTimeout() throws Exception {
        // A listener whose accept queue is full drops further SYNs: the connect gets no answer.
        try (ServerSocket full = new ServerSocket(0, 1, LOOPBACK)) {
            List<Socket> fillers = new ArrayList<>();
            try {
                Transport t = Transport.NIO.resolve();
                ChannelFuture f = null;
                for (int i = 0; i < 8 && (f == null || f.isSuccess()); i++) {
                    if (f != null) {
                        f.channel().close();
                    }
                    Socket s = new Socket();
                    fillers.add(s);
                    // Fill the queue with plain sockets first, then try with Netty.
                    try {
                        s.connect(full.getLocalSocketAddress(), 300);
                    } catch (java.net.SocketTimeoutException e) {
                        // The queue is full already.
                    }
                    f = new Bootstrap().group(group(t)).channel(t.socketChannelClass())
                            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 300)
                            .handler(new ChannelInboundHandlerAdapter())
                            .connect(full.getLocalSocketAddress()).awaitUninterruptibly();
                }
                assertThat(f.isSuccess()).as("a connect to a full accept queue got through").isFalse();
                assertThat(NettyErrors.describe(f.cause())).isEqualTo("timed out after 300 ms");
            } finally {
                for (Socket s : fillers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aNameThatDoesNotResolveSaysCannotResolveHostName() throws Exception {
        Transport t = Transport.AUTO.resolve();
        // The name server is a closed port on this machine: no query leaves it.
        int closed = TcpServer.deadPort();
        DnsNameResolver resolver = new DnsNameResolverBuilder(group(t).next())
                .datagramChannelType(t.datagramChannelClass())
                .nameServerProvider(new SingletonDnsServerAddressStreamProvider(new InetSocketAddress(LOOPBACK, closed)))
                .queryTimeoutMillis(300)
                .maxQueriesPerResolve(1)
                .build();
        try {
            Throwable cause = resolver.resolve("nothing.invalid").awaitUninterruptibly().cause();
            assertThat(cause).isInstanceOf(UnknownHostException.class);

            assertThat(NettyErrors.describe(cause)).isEqualTo("cannot resolve host name 'nothing.invalid'");
        } finally {
            resolver.close();
        }
        // The JDK's resolver words it "NAME: reason".
        assertThat(NettyErrors.describe(new UnknownHostException("nothing.invalid: Name or service not known")))
                .isEqualTo("cannot resolve host name 'nothing.invalid'");
    }

    @Test
    void nativeErrnoTextsReadInPlainWords() {
        assumeAvailable("epoll");
        io.netty.channel.epoll.Epoll.ensureAvailability();
        InetSocketAddress low = new InetSocketAddress(LOOPBACK, 443);
        // Errnos from Linux's errno.h: EACCES 13, EHOSTUNREACH 113, ENETUNREACH 101.
        assertThat(NettyErrors.describeBind(Errors.newIOException("bind(..)", -13), low, Duration.ofSeconds(2)))
                .isEqualTo("permission denied: ports below 1024 need CAP_NET_BIND_SERVICE (the systemd unit "
                        + "grants it; for a manual run: sudo setcap cap_net_bind_service=+ep "
                        + "$(readlink -f $(which java))); retrying every 2 s");
        assertThat(NettyErrors.describe(Errors.newIOException("connect(..)", -113))).isEqualTo("no route to host");
        assertThat(NettyErrors.describe(Errors.newIOException("connect(..)", -101))).isEqualTo("network unreachable");
    }

    @Test
    void engineReportsATakenPortAndARefusedBackendInPlainWords() throws Exception {
        NettyForwardingEngine engine = newEngine(Transport.AUTO);
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            int dead = TcpServer.deadPort();
            engine.apply(DesiredState.of(
                    Frontend.builder("127.0.0.1:" + taken.getLocalPort()).name("clash").backend("127.0.0.1:" + dead).build(),
                    // No probes: the client's own connect is the one that fails, not a probe that
                    // got there first and left "no healthy backend" for the client.
                    frontend("fine", "127.0.0.1:" + dead).health(HealthCheck.DEFAULT.withEnabled(false)).build()));
            try (Socket s = connect(engine, "fine")) {
                awaitTrue(() -> !connectFailures.isEmpty());
            }

            assertThat(listenerFailures).singleElement().asString()
                    .contains("address already in use", "ss -ltnp sport = :" + taken.getLocalPort(), "retrying every")
                    .doesNotContain("error(");
            assertThat(connectFailures).first().asString()
                    .endsWith("connection refused").doesNotContain("error(");
        } finally {
            engine.close(Duration.ofSeconds(1));
        }
    }
}

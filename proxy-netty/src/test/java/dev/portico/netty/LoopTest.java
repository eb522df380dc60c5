package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.ApplyResult;
import dev.portico.api.CloseReason;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A backend that leads back to the router itself is refused when the configuration shows it, and
 * stopped at the first connection that goes round when it does not (a host name), so a loop
 * never eats descriptors and the other frontends keep serving.
 */
class LoopTest extends EngineTestSupport {

    private NettyForwardingEngine engine;

    @BeforeEach
    void start() {
        engine = newEngine(Transport.AUTO);
    }

    @AfterEach
    void stop() {
        engine.close(Duration.ofSeconds(1));
    }

    private static Frontend.Builder at(String name, int port, String... backends) {
        return frontend(name, backends).bind(dev.portico.api.BindAddress.host("127.0.0.1", port))
                .source("file").origin(name + ".yaml:3:5");
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether the connection ends without a byte (a FIN or a reset). */
    private static boolean cutOff(Socket s) {
        try {
            return s.getInputStream().read() == -1;
        } catch (java.net.SocketException e) {
            return true;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aBackendThatIsTheFrontendsOwnBindIsRefusedWithItsPlaceAndTheOtherFrontendsServe() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            int port = EngineApplyTest.freePort();
            ApplyResult r = apply(engine, at("web", port, "127.0.0.1:" + port).build(),
                    frontend("other", echo.address()).build());
            String error = "web.yaml:3:5: frontend web: backend 127.0.0.1:" + port
                    + " is this router's own listener (bind 127.0.0.1:" + port + "): a loop";
            assertThat(rejections).containsExactly("file " + error);
            assertThat(r.failures()).singleElement().satisfies(f -> assertThat(f.reason()).isEqualTo(error));
            assertThat(engine.status().frontend("web")).isEmpty();
            assertThat(listening(port)).isFalse();
            try (Socket s = connect(engine, "other")) {
                EngineApplyTest.roundTrip(s, "still served");
            }
            // Reported once while it lasts, not at every apply.
            apply(engine, at("web", port, "127.0.0.1:" + port).build(), frontend("other", echo.address()).build());
            assertThat(rejections).hasSize(1);
        }
    }

    @Test
    void aWildcardBindIsReachedThroughTheLoopbackAddress() throws Exception {
        int port = EngineApplyTest.freePort();
        apply(engine, frontend("any", "127.0.0.5:" + port).bind(dev.portico.api.BindAddress.wildcard(port)).build());
        assertThat(rejections).singleElement().asString()
                .contains("frontend any: backend 127.0.0.5:" + port + " is this router's own listener (bind :"
                        + port + "): a loop");
        assertThat(engine.status().frontend("any")).isEmpty();
    }

    @Test
    void aChangeThatWouldLoopKeepsTheLastGoodVersionServing() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            int port = EngineApplyTest.freePort();
            apply(engine, at("web", port, echo.address()).build());
            apply(engine, at("web", port, "127.0.0.1:" + port).build());
            assertThat(rejections).singleElement().asString().contains("web.yaml:3:5: frontend web: backend 127.0.0.1:"
                    + port + " is this router's own listener");
            assertThat(status(engine, "web").backends()).extracting(b -> b.backend().address())
                    .containsExactly(echo.address());
            try (Socket s = connect(engine, "web")) {
                EngineApplyTest.roundTrip(s, "last good");
            }
        }
    }

    @Test
    void aLocalBackendOnAPortNoListenerHereHoldsIsNotTrackedButOneOfOurOwnListenersIs() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            int web = EngineApplyTest.freePort();
            apply(engine, at("web", web, echo.address()).build());
            try (Socket s = connect(engine, "web")) {
                EngineApplyTest.roundTrip(s, "to a local web server");
            }
            // 127.0.0.1 is this machine, but nothing of ours listens on the echo's port: no
            // connection there can come back, and none is remembered (each used to be kept 5 s).
            assertThat(engine.loopGuard().tracked()).isZero();

            int front = EngineApplyTest.freePort();
            apply(engine, at("web", web, echo.address()).build(), at("front", front, "127.0.0.1:" + web).build());
            try (Socket s = connect(engine, "front")) {
                EngineApplyTest.roundTrip(s, "through front and web");
            }
            assertThat(engine.loopGuard().tracked()).isPositive();
        }
    }

    @Test
    void aCycleThroughTwoFrontendsIsRefusedButAChainThatEndsElsewhereIsServed() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            int a = EngineApplyTest.freePort();
            int b = EngineApplyTest.freePort();
            apply(engine, at("a", a, "127.0.0.1:" + b).build(), at("b", b, "127.0.0.1:" + a).build());
            assertThat(rejections).containsExactly(
                    "file a.yaml:3:5: frontend a: backend 127.0.0.1:" + b + " is this router's own listener "
                            + "(frontend b, bind 127.0.0.1:" + b + "), which leads back to frontend a (a -> b -> a): a loop",
                    "file b.yaml:3:5: frontend b: backend 127.0.0.1:" + a + " is this router's own listener "
                            + "(frontend a, bind 127.0.0.1:" + a + "), which leads back to frontend b (b -> a -> b): a loop");
            assertThat(listening(a)).isFalse();
            assertThat(listening(b)).isFalse();

            // b first: a's first probe must find b listening.
            ApplyResult r = apply(engine, at("b", b, echo.address()).build(), at("a", a, "127.0.0.1:" + b).build());
            assertThat(r.failures()).isEmpty();
            try (Socket s = connect(engine, "a")) {
                EngineApplyTest.roundTrip(s, "through a and b");
            }
        }
    }

    @Test
    void aHostNameThatLeadsBackIsStoppedByTheFirstProbeAndTheOtherFrontendsServe() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            int port = EngineApplyTest.freePort();
            HealthCheck fast = HealthCheck.DEFAULT.withInterval(Duration.ofMillis(200));
            // A host name is not resolved when the configuration is checked: the engine finds out.
            ApplyResult r = apply(engine, at("self", port, "localhost:" + port).health(fast).build(),
                    frontend("other", echo.address()).build());
            assertThat(r.failures()).isEmpty();
            awaitTrue(() -> {
                EngineStatus.BackendStatus b = status(engine, "self").backends().get(0);
                return !b.healthy() && b.lastError() != null && b.lastError().contains("a loop");
            });
            assertThat(status(engine, "self").backends().get(0).lastError()).isEqualTo("a loop: backend localhost:"
                    + port + " of frontend self leads back to this router's listener self (bind 127.0.0.1:" + port + ")");
            awaitTrue(() -> engine.status().activeConnections() == 0);
            assertThat(status(engine, "self").totalConnections()).as("connections that went round")
                    .isLessThan(10);
            assertThat(closes).contains(CloseReason.LOOP);
            assertThat(engine.loopGuard().tracked()).isLessThan(20);
            try (Socket s = connect(engine, "self")) {
                assertThat(s.getInputStream().read()).as("no usable backend: closed at once").isEqualTo(-1);
            }
            try (Socket s = connect(engine, "other")) {
                EngineApplyTest.roundTrip(s, "other frontends serve");
            }
        }
    }

    @Test
    void withoutHealthChecksTheFirstClientThatGoesRoundStopsTheLoop() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            int port = EngineApplyTest.freePort();
            apply(engine, at("self", port, "localhost:" + port).health(HealthCheck.DEFAULT.withEnabled(false)).build(),
                    frontend("other", echo.address()).build());
            try (Socket s = connect(engine, "self")) {
                s.getOutputStream().write("hello".getBytes());
                assertThat(cutOff(s)).as("the loop is cut, nothing comes back").isTrue();
            }
            awaitTrue(() -> !status(engine, "self").backends().get(0).healthy());
            awaitTrue(() -> engine.status().activeConnections() == 0);
            assertThat(status(engine, "self").totalConnections()).isLessThan(10);
            try (Socket s = connect(engine, "other")) {
                EngineApplyTest.roundTrip(s, "other frontends serve");
            }
        }
    }

    @Test
    void theDefaultConnectionLimitFollowsTheDescriptorLimit() {
        assertThat(DescriptorLimit.fromDescriptorLimit(1_048_576)).isEqualTo((1_048_576 - 1024) / 2);
        assertThat(DescriptorLimit.fromDescriptorLimit(4096)).isEqualTo((4096 - 409) / 2);
        assertThat(DescriptorLimit.fromDescriptorLimit(160)).isEqualTo((160 - 64) / 2);
        assertThat(engine.maxConnections()).isEqualTo(DescriptorLimit.defaultMaxConnections()).isPositive();
        try (NettyForwardingEngine unlimited = engineBuilder("nio").maxConnections(0).build()) {
            assertThat(unlimited.maxConnections()).isZero();
        }
    }
}

package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.api.ApplyResult;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.CloseReason;
import dev.portico.api.DesiredState;
import dev.portico.api.EngineStatus.ListenerState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How {@code apply} changes a running engine, and what survives the change. */
class EngineApplyTest extends EngineTestSupport {

    private NettyForwardingEngine engine;

    @BeforeEach
    void start() {
        engine = newEngine(Transport.AUTO);
    }

    @AfterEach
    void stop() {
        engine.close(Duration.ofSeconds(1));
    }

    static void roundTrip(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        byte[] msg = text.getBytes();
        out.write(msg);
        out.flush();
        assertThat(in.readNBytes(msg.length)).isEqualTo(msg);
    }

    private static Frontend fixedPort(String name, int port, String... backends) {
        Frontend.Builder b = Frontend.builder("127.0.0.1:" + port).name(name);
        for (String be : backends) {
            b.backend(be);
        }
        return b.build();
    }

    @Test
    void liveConnectionSurvivesApplyThatAddsAndRemovesOtherBackendsAndFrontends() throws Exception {
        try (TcpServer a = TcpServer.echo(); TcpServer b = TcpServer.echo(); TcpServer c = TcpServer.echo()) {
            int webPort = freePort();
            Frontend web = fixedPort("web", webPort, a.address());
            Frontend other = frontend("other", c.address()).build();
            apply(engine, web, other);
            try (Socket live = connect(engine, "web")) {
                roundTrip(live, "before");
                // Add a backend to web, drop frontend "other", add frontend "third".
                ApplyResult r = apply(engine, fixedPort("web", webPort, a.address(), b.address()),
                        frontend("third", c.address()).build());
                assertThat(r.changes()).extracting(ApplyResult.Change::kind)
                        .contains(ChangeKind.BACKEND_ADDED, ChangeKind.LISTENER_CLOSED, ChangeKind.LISTENER_OPENED)
                        .doesNotContain(ChangeKind.SETTINGS_CHANGED);
                roundTrip(live, "after adding");
                // Remove the backend just added and the third frontend again.
                r = apply(engine, fixedPort("web", webPort, a.address()));
                assertThat(r.changes()).extracting(ApplyResult.Change::kind)
                        .contains(ChangeKind.BACKEND_REMOVED, ChangeKind.LISTENER_CLOSED);
                roundTrip(live, "after removing");
                // A settings change is applied in place too.
                r = apply(engine, fixedPort("web", webPort, a.address()).toBuilder()
                        .idleTimeout(Duration.ofMinutes(5)).build());
                assertThat(r.changes()).extracting(ApplyResult.Change::kind).containsExactly(ChangeKind.SETTINGS_CHANGED);
                roundTrip(live, "after settings");
                assertThat(closes).as("no proxied connection ended during the applies").isEmpty();
            }
        }
    }

    @Test
    void sameDesiredStateTwiceChangesNothing() throws Exception {
        try (TcpServer a = TcpServer.echo()) {
            int port = freePort();
            assertThat(apply(engine, fixedPort("x", port, a.address())).changes()).hasSize(1);
            assertThat(apply(engine, fixedPort("x", port, a.address())).isEmpty()).isTrue();
        }
    }

    @Test
    void removedFrontendStopsListeningAndDrainsItsConnections() throws Exception {
        try (TcpServer a = TcpServer.echo()) {
            apply(engine, frontend("gone", a.address()).build());
            InetSocketAddress addr = addressOf(engine, "gone");
            try (Socket live = connect(engine, "gone")) {
                roundTrip(live, "hello");
                apply(engine);
                assertThat(status(engine, "gone").state()).isEqualTo(ListenerState.DRAINING);
                assertThatThrownBy(() -> new Socket(addr.getAddress(), addr.getPort()).close())
                        .isInstanceOf(ConnectException.class);
                roundTrip(live, "still served while draining");
            }
            awaitTrue(() -> engine.status().frontends().stream().noneMatch(f -> f.name().equals("gone")));
        }
    }

    @Test
    void failoverFromDeadBackendToLiveOneIsInvisibleToClients() throws Exception {
        try (TcpServer live = TcpServer.echo()) {
            String dead = "127.0.0.1:" + TcpServer.deadPort();
            apply(engine, frontend("fo", dead, live.address())
                    .balance(dev.portico.api.BalancePolicy.ROUND_ROBIN)
                    .health(HealthCheck.DEFAULT.withEnabled(false)).build());
            for (int i = 0; i < 6; i++) {
                try (Socket s = connect(engine, "fo")) {
                    roundTrip(s, "request " + i);
                }
            }
            assertThat(live.accepted.get()).isEqualTo(6);
            assertThat(connectFailures).isNotEmpty().allMatch(f -> f.startsWith(dead));
            // The failed backend was marked down at once (passive health check).
            assertThat(healthEvents).contains(dead + " down");
            assertThat(status(engine, "fo").backends()).filteredOn(b -> b.backend().address().equals(dead))
                    .singleElement().satisfies(b -> assertThat(b.healthy()).isFalse());
        }
    }

    @Test
    void allBackendsDownClosesTheClientAtOnce() throws Exception {
        String dead = "127.0.0.1:" + TcpServer.deadPort();
        apply(engine, frontend("none", dead).build(), frontend("empty").build());
        for (String name : new String[] {"none", "empty"}) {
            try (Socket s = connect(engine, name)) {
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
        }
        awaitTrue(() -> closes.stream().filter(c -> c == CloseReason.NO_BACKEND).count() == 2);
    }

    @Test
    void bindFailureIsReportedWithTheOsReasonWhileOthersServe() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TcpServer a = TcpServer.echo()) {
            ApplyResult r = apply(engine, fixedPort("clash", taken.getLocalPort(), a.address()),
                    frontend("fine", a.address()).build());
            assertThat(r.failures()).singleElement().satisfies(f -> {
                assertThat(f.frontend()).isEqualTo("clash");
                assertThat(f.reason()).contains("127.0.0.1:" + taken.getLocalPort()).containsIgnoringCase("in use");
            });
            assertThat(listenerFailures).hasSize(1);
            assertThat(status(engine, "clash").state()).isEqualTo(ListenerState.FAILED);
            try (Socket s = connect(engine, "fine")) {
                roundTrip(s, "others keep serving");
            }
        }
    }

    @Test
    void failedListenerIsRetriedWhenThePortFreesUp() throws Exception {
        NettyForwardingEngine quick = NettyForwardingEngine.builder().events(recorder)
                .recheckInterval(Duration.ofMillis(100)).build();
        try (TcpServer a = TcpServer.echo()) {
            int port;
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = taken.getLocalPort();
                assertThat(quick.apply(DesiredState.of(fixedPort("late", port, a.address()))).failures()).hasSize(1);
            }
            awaitTrue(() -> status(quick, "late").state() == ListenerState.LISTENING);
            try (Socket s = connect(quick, "late")) {
                roundTrip(s, "bound on retry");
            }
        } finally {
            quick.close(Duration.ofSeconds(1));
        }
    }

    @Test
    void interfaceBindListensOnTheInterfaceAddress() throws Exception {
        try (TcpServer a = TcpServer.echo()) {
            apply(engine, Frontend.builder("@lo:0").name("lo").backend(a.address()).build(),
                    Frontend.builder("@nosuchif9:0").name("missing").backend(a.address()).build());
            assertThat(addressOf(engine, "lo").getAddress().isLoopbackAddress()).isTrue();
            try (Socket s = connect(engine, "lo")) {
                roundTrip(s, "via lo");
            }
            // A missing interface is reported, not fatal.
            assertThat(status(engine, "missing").state()).isEqualTo(ListenerState.FAILED);
            assertThat(status(engine, "missing").error()).contains("no network interface named 'nosuchif9'");
        }
    }

    @Test
    void closeDrainsThenCutsAtTheDeadline() throws Exception {
        try (TcpServer a = TcpServer.echo()) {
            NettyForwardingEngine e = newEngine(Transport.AUTO);
            e.apply(DesiredState.of(frontend("d", a.address()).build()));
            Socket s = connect(e, "d");
            roundTrip(s, "x");
            e.close(Duration.ofMillis(200));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(closes).contains(CloseReason.SHUTDOWN);
            assertThatThrownBy(() -> e.apply(DesiredState.EMPTY)).isInstanceOf(IllegalStateException.class);
            assertThat(e.status().frontends()).as("status after close").isEmpty();
            s.close();
        }
    }

    @Test
    void closeReturnsAsSoonAsConnectionsFinish() throws Exception {
        try (TcpServer a = TcpServer.echo()) {
            NettyForwardingEngine e = newEngine(Transport.AUTO);
            e.apply(DesiredState.of(frontend("d", a.address()).build()));
            Socket s = connect(e, "d");
            roundTrip(s, "x");
            Thread closer = new Thread(() -> e.close(Duration.ofMinutes(5)));
            closer.start();
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            closer.join(WAIT.toMillis());
            assertThat(closer.isAlive()).as("close() still waiting after the last connection ended").isFalse();
            assertThat(closes).containsExactly(CloseReason.CLIENT_CLOSED);
        }
    }

    static int freePort() throws IOException {
        return TcpServer.deadPort();
    }
}

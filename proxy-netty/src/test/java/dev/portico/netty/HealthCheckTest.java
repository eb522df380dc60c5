package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.api.HealthCheck;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Active TCP health checks with rise/fall thresholds. */
class HealthCheckTest extends EngineTestSupport {

    private NettyForwardingEngine engine;

    @BeforeEach
    void start() {
        engine = newEngine(Transport.AUTO);
    }

    @AfterEach
    void stop() {
        engine.close(Duration.ofSeconds(1));
    }

    private dev.portico.api.EngineStatus.BackendStatus backendStatus(String name) {
        return status(engine, name).backends().get(0);
    }

    @Test
    void oneLostProbeDoesNotFlapButFallConsecutiveFailuresDoAndRiseBringsItBack() throws Exception {
        HealthCheck hc = HealthCheck.DEFAULT.withInterval(Duration.ofMillis(400))
                .withTimeout(Duration.ofMillis(200)).withThresholds(2, 3);
        TcpServer backend = TcpServer.echo();
        int port = backend.port();
        apply(engine, frontend("hc", backend.address()).health(hc).build());
        // First probe confirms it up.
        awaitTrue(() -> backendStatus("hc").healthy() && backendStatus("hc").lastError() == null);
        // Take the backend away until exactly one probe has failed, then bring it back at once.
        backend.close();
        awaitTrue(() -> backendStatus("hc").lastError() != null);
        backend = new TcpServer(port, s -> s.getInputStream().transferTo(s.getOutputStream()));
        // It stays up: fewer than 3 failures in a row.
        await().during(Duration.ofMillis(1500)).atMost(WAIT).until(() -> backendStatus("hc").healthy());
        assertThat(healthEvents).isEmpty();
        // Now down for good: after 3 failures it is marked down.
        backend.close();
        awaitTrue(() -> !backendStatus("hc").healthy());
        awaitTrue(() -> !healthEvents.isEmpty());
        assertThat(healthEvents).containsExactly(backendAddress(port) + " down");
        try (Socket s = connect(engine, "hc")) {
            assertThat(s.getInputStream().read()).as("no healthy backend: closed at once").isEqualTo(-1);
        }
        // Back: 2 successes bring it up.
        try (TcpServer again = new TcpServer(port, s -> s.getInputStream().transferTo(s.getOutputStream()))) {
            awaitTrue(() -> backendStatus("hc").healthy());
            // The status flips before the event is delivered.
            awaitTrue(() -> healthEvents.size() == 2);
            assertThat(healthEvents).containsExactly(backendAddress(port) + " down", backendAddress(port) + " up");
            try (Socket s = connect(engine, "hc")) {
                EngineApplyTest.roundTrip(s, "served again");
            }
        }
    }

    @Test
    void newBackendIsUsableBeforeItsFirstProbeByDefault() throws Exception {
        try (TcpServer backend = TcpServer.echo()) {
            // A long interval: the connection below happens before any periodic probe.
            apply(engine, frontend("new", backend.address())
                    .health(HealthCheck.DEFAULT.withInterval(Duration.ofHours(1))).build());
            try (Socket s = connect(engine, "new")) {
                EngineApplyTest.roundTrip(s, "answers immediately");
            }
        }
    }

    @Test
    void initiallyDownBackendWaitsForItsFirstProbe() throws Exception {
        try (TcpServer backend = TcpServer.echo()) {
            apply(engine, frontend("l4", backend.address())
                    .health(HealthCheck.DEFAULT.withInitiallyUp(false)).build());
            // Probed at once on add; the first success brings it up.
            awaitTrue(() -> backendStatus("l4").healthy());
            awaitTrue(() -> !healthEvents.isEmpty());
            assertThat(healthEvents).containsExactly(backend.address() + " up");
            try (Socket s = connect(engine, "l4")) {
                EngineApplyTest.roundTrip(s, "up after probe");
            }
        }
    }

    private static String backendAddress(int port) {
        return "127.0.0.1:" + port;
    }
}

package dev.portico.examples.metrics;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.api.BackendSource;
import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceCoordinator;
import dev.portico.api.SourceError;
import dev.portico.examples.PrometheusText;
import dev.portico.netty.NettyForwardingEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The metrics a real engine produces over real loopback sockets: counters fed through the event
 * SPI, gauges read from its status, all read back from the Prometheus text they are scraped as.
 */
class MetricsEventsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HealthCheck NO_PROBES = HealthCheck.DEFAULT.withEnabled(false);

    private TcpServer echo;
    private PorticoMetrics metrics;
    private NettyForwardingEngine engine;
    private SourceCoordinator coordinator;

    @BeforeEach
    void start() throws IOException {
        echo = TcpServer.echo();
        metrics = new PorticoMetrics();
        // One connection at a time over the whole engine, so the second concurrent one is refused.
        engine = NettyForwardingEngine.builder().events(metrics.events()).maxConnections(1).build();
        coordinator = new SourceCoordinator(engine, metrics.events());
    }

    @AfterEach
    void stop() throws IOException {
        coordinator.close();
        engine.close(Duration.ofSeconds(1));
        metrics.close();
        echo.close();
    }

    private void serve(Frontend... frontends) {
        coordinator.add(BackendSource.fixed("test", List.of(frontends)));
        metrics.bind(engine, coordinator, List.of("test"), "test");
        coordinator.start();
        await().atMost(WAIT).until(() -> coordinator.generation() > 0);
    }

    private int port(String frontend) {
        return engine.status().frontend(frontend).orElseThrow().boundAddress().getPort();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(metrics.scrape());
    }

    private double counter(String name, String... labels) {
        return scrape().value(name, labels);
    }

    /** Sends {@code n} bytes, reads them back, half-closes and waits for the proxy to close too. */
    private static void echoAndClose(int port, int n) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            byte[] data = new byte[n];
            Arrays.fill(data, (byte) 'x');
            OutputStream out = s.getOutputStream();
            out.write(data);
            out.flush();
            assertThat(s.getInputStream().readNBytes(n)).isEqualTo(data);
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    /** Connects and expects the proxy to close at once without a byte. */
    private static void expectRefused(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            try {
                assertThat(in.read()).isEqualTo(-1);
            } catch (SocketException reset) {
                // A reset is a refusal too.
            }
        }
    }

    @Test
    void countersMatchTheTrafficSentAndGaugesFollowTheEngine() throws Exception {
        Frontend web = Frontend.builder("127.0.0.1:0").name("web").backend("127.0.0.1:" + echo.port())
                .health(NO_PROBES).build();
        Frontend lan = Frontend.builder("127.0.0.1:0").name("lan").backend("127.0.0.1:" + echo.port())
                .health(NO_PROBES).allow(List.of(Cidr.parse("10.0.0.0/8"))).build();
        serve(web, lan);
        String backend = "127.0.0.1:" + echo.port();

        // Before any traffic every series exists and reads 0.
        PrometheusText idle = scrape();
        assertThat(idle.value("portico_connections_total", "frontend", "web")).isZero();
        assertThat(idle.value("portico_connections_refused_total", "frontend", "lan", "reason", "denied")).isZero();
        assertThat(idle.value("portico_backend_healthy", "frontend", "web", "backend", backend)).isEqualTo(1);
        assertThat(idle.value("portico_frontend_listening", "frontend", "web")).isEqualTo(1);
        assertThat(idle.value("portico_config_applies_total")).isEqualTo(1);
        assertThat(idle.value("portico_config_error", "source", "test")).isZero();

        // The global limit is one connection: each is waited for until the engine has released it
        // (the client sees its EOF a moment before that).
        int[] sizes = {1000, 20_000, 300_000};
        for (int i = 0; i < sizes.length; i++) {
            echoAndClose(port("web"), sizes[i]);
            int closed = i + 1;
            await().atMost(WAIT).until(() -> counter("portico_connections_closed_total", "frontend", "web",
                    "reason", "client_closed") == closed);
        }
        expectRefused(port("lan"));
        await().atMost(WAIT).until(() -> counter("portico_connections_closed_total", "frontend", "lan",
                "reason", "denied") == 1);

        try (Socket held = new Socket(InetAddress.getLoopbackAddress(), port("web"))) {
            held.setSoTimeout(10_000);
            held.getOutputStream().write("held".getBytes());
            assertThat(held.getInputStream().readNBytes(4)).isEqualTo("held".getBytes());
            expectRefused(port("web"));
            await().atMost(WAIT).until(() -> counter("portico_connections_refused_total", "frontend", "web",
                    "reason", "limit") == 1);
            PrometheusText open = scrape();
            assertThat(open.value("portico_connections_active", "frontend", "web")).isEqualTo(1);
            assertThat(open.value("portico_backend_connections_active", "frontend", "web", "backend", backend))
                    .isEqualTo(1);
        }
        await().atMost(WAIT).until(() -> counter("portico_connections_closed_total", "frontend", "web",
                "reason", "client_closed") == 4);

        PrometheusText m = scrape();
        long bytes = Arrays.stream(sizes).sum() + 4;
        assertThat(m.value("portico_connections_total", "frontend", "web")).isEqualTo(4);
        assertThat(m.value("portico_backend_connections_total", "frontend", "web", "backend", backend)).isEqualTo(4);
        assertThat(m.value("portico_client_to_backend_bytes_total", "frontend", "web")).isEqualTo(bytes);
        assertThat(m.value("portico_backend_to_client_bytes_total", "frontend", "web")).isEqualTo(bytes);
        assertThat(m.value("portico_connection_duration_seconds_count", "frontend", "web")).isEqualTo(4);
        assertThat(m.value("portico_connections_refused_total", "frontend", "web", "reason", "limit")).isEqualTo(1);
        assertThat(m.value("portico_connections_closed_total", "frontend", "web", "reason", "limit")).isEqualTo(1);
        assertThat(m.value("portico_connections_refused_total", "frontend", "lan", "reason", "denied")).isEqualTo(1);
        // A refused connection reached no backend and moved no bytes.
        assertThat(m.value("portico_connections_total", "frontend", "lan")).isZero();
        assertThat(m.value("portico_client_to_backend_bytes_total", "frontend", "lan")).isZero();
        assertThat(m.value("portico_connection_duration_seconds_count", "frontend", "lan")).isZero();
        assertThat(m.value("portico_connections_active", "frontend", "web")).isZero();
        assertThat(m.value("portico_connections_refused_total", "frontend", "web", "reason", "bad_proxy_header"))
                .isZero();
        assertThat(m.value("portico_backend_connect_failures_total", "frontend", "web", "backend", backend)).isZero();
        // The engine's own count agrees.
        assertThat(engine.status().frontend("web").orElseThrow().totalConnections()).isEqualTo(4);
    }

    @Test
    void connectFailuresAreCountedPerBackendAndGoneFrontendsLeaveNoSeries() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort(); // nothing listens here once closed
        }
        String live = "127.0.0.1:" + echo.port();
        Frontend web = Frontend.builder("127.0.0.1:0").name("web").health(NO_PROBES)
                .backend("127.0.0.1:" + dead).backend(live).build();
        serve(web);
        // Whichever backend is picked first, the connection ends up on the live one.
        await().atMost(WAIT).untilAsserted(() -> {
            echoAndClose(port("web"), 10);
            assertThat(counter("portico_backend_connect_failures_total", "frontend", "web", "backend",
                    "127.0.0.1:" + dead)).isPositive();
        });
        assertThat(counter("portico_backend_connect_failures_total", "frontend", "web", "backend", live)).isZero();
        assertThat(counter("portico_backend_healthy", "frontend", "web", "backend", "127.0.0.1:" + dead)).isZero();

        engine.apply(dev.portico.api.DesiredState.EMPTY);
        await().atMost(WAIT).until(() -> engine.status().frontends().isEmpty());
        PrometheusText after = scrape();
        assertThat(after.find("portico_connections_total", "frontend", "web")).isEmpty();
        assertThat(after.find("portico_backend_healthy", "frontend", "web")).isEmpty();
        assertThat(after.find("portico_backend_connect_failures_total", "frontend", "web")).isEmpty();
    }

    @Test
    void watchStateIsOneForTheCurrentStateAndZeroForTheOthers() {
        String[] state = {"CONNECTING"};
        metrics.watchState("kubernetes", () -> state[0]);
        serve();
        PrometheusText first = scrape();
        assertThat(first.value("portico_source_watch_state", "source", "kubernetes", "state", "connecting")).isEqualTo(1);
        assertThat(first.value("portico_source_watch_state", "source", "kubernetes", "state", "watching")).isZero();
        assertThat(first.value("portico_source_watch_state", "source", "kubernetes", "state", "retrying")).isZero();
        state[0] = "WATCHING";
        PrometheusText second = scrape();
        assertThat(second.value("portico_source_watch_state", "source", "kubernetes", "state", "connecting")).isZero();
        assertThat(second.value("portico_source_watch_state", "source", "kubernetes", "state", "watching")).isEqualTo(1);
        assertThat(new String(metrics.statusJson())).contains("\"watchState\" : \"watching\"");
    }

    @Test
    void rejectionsAreCountedPerSourceAndShownAsAnErrorUntilRecovered() {
        coordinator.add(new BackendSource() {
            @Override
            public String name() {
                return "file";
            }

            @Override
            public void start(Listener listener) {
                listener.onError(new SourceError("file", "/etc/portico/a.yaml:3:5", "unknown key 'bnid'"));
                listener.onSnapshot(new Snapshot("file", List.of()));
            }

            @Override
            public void close() {
            }
        });
        serve();
        PrometheusText m = scrape();
        assertThat(m.value("portico_config_rejections_total", "source", "file")).isEqualTo(1);
        assertThat(m.value("portico_config_error", "source", "file")).isEqualTo(1);
        assertThat(m.value("portico_config_rejections_total", "source", "test")).isZero();
        assertThat(m.value("portico_config_error", "source", "test")).isZero();
        assertThat(new String(metrics.statusJson(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"place\" : \"/etc/portico/a.yaml:3:5\"", "\"message\" : \"unknown key 'bnid'\"");
    }

    @Test
    void aPortSharedByServerNameCountsWhatNoFrontendTookAndStatusShowsEachFrontendsNames() throws Exception {
        int shared;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            shared = probe.getLocalPort();
        }
        String bind = "127.0.0.1:" + shared;
        String backend = "127.0.0.1:" + echo.port();
        serve(Frontend.builder(bind).name("grafana").sni(List.of("grafana.example.org", "*.grafana.example.org"))
                        .backend(backend).health(NO_PROBES).build(),
                Frontend.builder(bind).name("apps").sni(List.of("apps.example.org")).backend(backend)
                        .health(NO_PROBES).build());
        // Plain text on a TLS port: no frontend takes it, and no catch-all is configured.
        expectRefused(shared, "GET / HTTP/1.1\r\n\r\n");
        await().atMost(WAIT).until(() -> scrape().samples().stream().anyMatch(
                x -> x.name().equals("portico_sni_unrouted_total") && bind.equals(x.labels().get("bind"))
                        && x.value() == 1));
        String status = new String(metrics.statusJson(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(status.replaceAll("\\s", "")).contains("\"name\":\"grafana\",\"source\":\"test\",\"bind\":\""
                + bind + "\",\"sni\":[\"grafana.example.org\",\"*.grafana.example.org\"]")
                .contains("\"sni\":[\"apps.example.org\"]");
    }

    private static void expectRefused(int port, String send) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(send.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            try {
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            } catch (SocketException reset) {
                // A reset is a refusal too.
            }
        }
    }
}

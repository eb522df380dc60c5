package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import static dev.portico.examples.Launchers.CHANGE;
import static dev.portico.examples.Launchers.START;
import static dev.portico.examples.MetricsEndpoint.frontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code portico router --metrics}, as Prometheus and an operator see it: the launcher jar in its own
 * JVM, real traffic through it, then {@code /metrics} parsed strictly and compared with what was
 * sent, {@code /status} read as JSON, and the access log read from stderr.
 */
class MetricsIT {

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    private final MetricsEndpoint metrics = new MetricsEndpoint();
    private TcpServer backend;

    @BeforeEach
    void startBackend() throws IOException {
        backend = TcpServer.namedEcho("A");
    }

    @AfterEach
    void stopBackend() throws IOException {
        backend.close();
    }

    /** What one client connection sent and received. */
    private record Sent(int localPort, long fromClient, long toClient) {
    }

    /** Reads the backend's greeting, echoes one line, closes first (so the proxy logs client_closed). */
    private Sent converse(int port, String line) throws IOException {
        try (Net.Conn c = Net.Conn.open(port)) {
            assertThat(c.readLine()).isEqualTo("A");
            assertThat(c.roundTrip(line)).isEqualTo(line);
            int local = c.localPort();
            long bytes = line.getBytes(StandardCharsets.UTF_8).length + 1;
            return new Sent(local, bytes, "A\n".length() + bytes);
        }
    }

    /** Connects and expects to be closed without a byte. */
    private static int refused(int port) throws IOException {
        try (Socket s = new Socket(Net.HOST, port)) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            try {
                assertThat(in.read()).isEqualTo(-1);
            } catch (SocketException reset) {
                // A reset is a refusal too.
            }
            return s.getLocalPort();
        }
    }

    private Path config(int served, int lan) throws IOException {
        Path config = dir.resolve("portico.yaml");
        Files.writeString(config, """
                apiVersion: v1
                frontends:
                  - name: echo
                    bind: 127.0.0.1:%d
                    allow: [127.0.0.0/8]
                    backends:
                      - address: %s
                  - name: lan
                    bind: 127.0.0.1:%d
                    backends:
                      - address: %s
                """.formatted(served, backend.address(), lan, backend.address()));
        return config;
    }

    @Test
    void countersMatchTheTrafficSentStatusShowsTheFrontendsAndTheAccessLogHasEachConnection() throws Exception {
        int served = Net.freePort();
        int lan = Net.freePort();
        // --allow applies to "lan" (no list of its own); "echo" allows loopback itself.
        Launchers.Launched router = launchers.portico("router", "-c", config(served, lan).toString(),
                "--metrics", metrics.flag(), "--allow", "10.0.0.0/8", "--drain-timeout", "5s");
        metrics.awaitListening("echo", "lan");

        List<Sent> sent = new ArrayList<>();
        sent.add(converse(served, "hello through portico"));
        sent.add(converse(served, "a somewhat longer line, to make the byte counts differ from each other"));
        sent.add(converse(served, "x"));
        int deniedPort = refused(lan);

        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> {
            PrometheusText m = metrics.metrics();
            return m.value("portico_connections_closed_total", "frontend", "echo", "reason", "client_closed") == 3
                    && m.value("portico_connections_closed_total", "frontend", "lan", "reason", "denied") == 1;
        });
        HttpResponse<String> scrape = metrics.get("/metrics");
        assertThat(scrape.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        PrometheusText m = PrometheusText.parse(scrape.body());
        long fromClients = sent.stream().mapToLong(Sent::fromClient).sum();
        long toClients = sent.stream().mapToLong(Sent::toClient).sum();
        assertThat(m.value("portico_connections_total", "frontend", "echo")).isEqualTo(3);
        assertThat(m.value("portico_backend_connections_total", "frontend", "echo", "backend", backend.address()))
                .isEqualTo(3);
        assertThat(m.value("portico_client_to_backend_bytes_total", "frontend", "echo")).isEqualTo(fromClients);
        assertThat(m.value("portico_backend_to_client_bytes_total", "frontend", "echo")).isEqualTo(toClients);
        assertThat(m.value("portico_connection_duration_seconds_count", "frontend", "echo")).isEqualTo(3);
        assertThat(m.value("portico_connections_active", "frontend", "echo")).isZero();
        assertThat(m.value("portico_connections_refused_total", "frontend", "lan", "reason", "denied")).isEqualTo(1);
        assertThat(m.value("portico_connections_total", "frontend", "lan")).isZero();
        assertThat(m.value("portico_connections_refused_total", "frontend", "echo", "reason", "denied")).isZero();
        assertThat(m.value("portico_backend_healthy", "frontend", "echo", "backend", backend.address())).isEqualTo(1);
        assertThat(m.value("portico_frontend_listening", "frontend", "lan")).isEqualTo(1);
        assertThat(m.value("portico_config_applies_total")).isGreaterThanOrEqualTo(1);
        assertThat(m.value("portico_config_error", "source", "file")).isZero();
        assertThat(m.value("portico_config_rejections_total", "source", "file")).isZero();
        assertThat(m.sampleNames()).contains("jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total",
                "jvm_threads_live_threads", "process_cpu_usage", "process_files_open_files", "process_uptime_seconds");

        HttpResponse<String> statusResponse = metrics.get("/status");
        assertThat(statusResponse.statusCode()).isEqualTo(200);
        assertThat(statusResponse.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode status = new ObjectMapper().readTree(statusResponse.body());
        assertThat(status.get("transport").asText()).isNotEmpty();
        JsonNode echo = frontend(status, "echo");
        assertThat(echo.get("source").asText()).isEqualTo("file");
        assertThat(echo.get("bind").asText()).isEqualTo("127.0.0.1:" + served);
        assertThat(echo.get("boundAddress").asText()).isEqualTo("127.0.0.1:" + served);
        assertThat(echo.get("state").asText()).isEqualTo("listening");
        assertThat(echo.get("error").isNull()).isTrue();
        assertThat(echo.get("activeConnections").asLong()).isZero();
        assertThat(echo.get("totalConnections").asLong()).isEqualTo(3);
        assertThat(echo.get("bufferedBytes").asLong()).isZero();
        JsonNode b = echo.get("backends").get(0);
        assertThat(b.get("address").asText()).isEqualTo(backend.address());
        assertThat(b.get("weight").asInt()).isEqualTo(1);
        assertThat(b.get("healthy").asBoolean()).isTrue();
        assertThat(b.get("activeConnections").asInt()).isZero();
        assertThat(frontend(status, "lan").get("totalConnections").asLong()).isZero();
        assertThat(status.get("sources").get(0).get("name").asText()).isEqualTo("file");
        assertThat(status.get("sources").get(0).get("lastError").isNull()).isTrue();

        assertThat(metrics.get("/healthz").body()).isEqualTo("ok\n");
        assertThat(metrics.get("/nope").statusCode()).isEqualTo(404);
        assertThat(metrics.request("POST", "/metrics").statusCode()).isEqualTo(405);

        // One access-log line per connection, with its bytes and how it ended.
        for (Sent s : sent) {
            Pattern line = Pattern.compile("INFO  access  client=127\\.0\\.0\\.1:" + s.localPort() + " frontend=echo backend="
                    + Pattern.quote(backend.address()) + " duration_ms=\\d+ from_client=" + s.fromClient()
                    + " to_client=" + s.toClient() + " end=client_closed\\n");
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100))
                    .until(() -> line.matcher(router.stderr()).find());
        }
        Pattern deniedLine = Pattern.compile("INFO  access  client=127\\.0\\.0\\.1:" + deniedPort
                + " frontend=lan backend=- duration_ms=\\d+ from_client=0 to_client=0 end=denied\\n");
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> deniedLine.matcher(router.stderr()).find());

        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }

    @Test
    void noAccessLogKeepsTheCountsAndWritesNoAccessLine() throws Exception {
        int served = Net.freePort();
        Launchers.Launched router = launchers.portico("router", "-c", config(served, Net.freePort()).toString(),
                "--metrics", metrics.flag(), "--no-access-log");
        metrics.awaitListening("echo");
        converse(served, "unlogged");
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> metrics.metrics()
                .value("portico_connections_closed_total", "frontend", "echo", "reason", "client_closed") == 1);
        // SIGTERM flushes every log line before the process ends.
        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
        assertThat(router.stderr()).contains("stopped").doesNotContain(" access ");
    }

    @Test
    void metricsPortInUseExitsOneNamingTheFlagBeforeAnyFrontendListens() throws Exception {
        int served = Net.freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName(Net.HOST))) {
            int port = taken.getLocalPort();
            Launchers.Launched router = launchers.portico("router", "-c", config(served, Net.freePort()).toString(),
                    "--metrics", "127.0.0.1:" + port);
            assertThat(router.exitCode(START)).isEqualTo(1);
            assertThat(router.stderr()).contains("--metrics 127.0.0.1:" + port + ": cannot listen on 127.0.0.1:" + port)
                    .doesNotContain("listening on");
        }
    }
}

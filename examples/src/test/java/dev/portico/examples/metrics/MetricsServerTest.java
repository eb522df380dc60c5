package dev.portico.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceCoordinator;
import dev.portico.examples.PrometheusText;
import dev.portico.netty.NettyForwardingEngine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP side of {@code --metrics}: paths, methods, content types. */
class MetricsServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private PorticoMetrics metrics;
    private MetricsServer server;

    @BeforeEach
    void start() throws Exception {
        metrics = new PorticoMetrics();
        server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), metrics);
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
    }

    private HttpResponse<String> request(String method, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAreServedInThePrometheusTextFormat() throws Exception {
        HttpResponse<String> r = request("GET", "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        PrometheusText m = PrometheusText.parse(r.body());
        assertThat(m.sampleNames()).contains("jvm_memory_used_bytes", "jvm_threads_live_threads",
                "process_uptime_seconds", "process_cpu_usage", "system_cpu_count", "portico_config_applies_total");
    }

    @Test
    void healthzSaysOkAndStatusWaitsForTheEngine() throws Exception {
        HttpResponse<String> health = request("GET", "/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");
        assertThat(request("GET", "/status").statusCode()).isEqualTo(503);

        NettyForwardingEngine engine = NettyForwardingEngine.builder().build();
        try (SourceCoordinator coordinator = new SourceCoordinator(engine, ProxyEvents.NONE)) {
            metrics.bind(engine, coordinator, List.of("file"), "1.2.3");
            HttpResponse<String> status = request("GET", "/status");
            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode json = new ObjectMapper().readTree(status.body());
            assertThat(json.get("version").asText()).isEqualTo("1.2.3");
            assertThat(json.get("transport").asText()).isEqualTo(engine.transport().configName());
            assertThat(json.get("frontends").isArray()).isTrue();
            assertThat(json.get("sources").get(0).get("name").asText()).isEqualTo("file");
            assertThat(json.get("sources").get(0).get("lastError").isNull()).isTrue();
        } finally {
            engine.close(Duration.ZERO);
        }
    }

    @Test
    void otherPathsAreNotFoundAndOtherMethodsNotAllowed() throws Exception {
        assertThat(request("GET", "/").statusCode()).isEqualTo(404);
        assertThat(request("GET", "/metricsx").statusCode()).isEqualTo(404);
        assertThat(request("POST", "/nope").statusCode()).isEqualTo(404);
        for (String method : List.of("POST", "PUT", "DELETE")) {
            HttpResponse<String> r = request(method, "/metrics");
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
        }
        // HEAD is GET without the body.
        HttpResponse<String> head = request("HEAD", "/metrics");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        // A query string does not change the path.
        assertThat(request("GET", "/healthz?verbose=1").statusCode()).isEqualTo(200);
    }
}

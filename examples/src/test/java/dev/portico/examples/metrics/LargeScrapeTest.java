package dev.portico.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.examples.PrometheusText;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Ten thousand frontends scraped from a JVM with the router's 64 MiB heap: the whole exposition
 * arrives and parses, and the child has not run out of memory.
 */
class LargeScrapeTest {

    private static final int FRONTENDS = 10_000;

    @Test
    void tenThousandFrontendsScrapeCompletelyWithinA64MibHeap() throws Exception {
        Path err = Files.createTempFile("small-heap-", ".stderr");
        Process child = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx64m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), SmallHeapRouter.class.getName(),
                Integer.toString(FRONTENDS)))
                .redirectError(err.toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("the child's first line; stderr: %s", Files.readString(err)).startsWith("port ");
            int port = Integer.parseInt(first.substring("port ".length()));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(120)).build();
            // Twice: the second scrape runs with the first one's meters and garbage around.
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> r = http.send(scrape, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                PrometheusText m = PrometheusText.parse(r.body());
                assertThat(m.find("portico_connections_total")).hasSize(FRONTENDS);
                assertThat(m.find("portico_backend_healthy")).hasSize(FRONTENDS);
                assertThat(m.find("portico_connection_duration_seconds_bucket", "le", "+Inf")).hasSize(FRONTENDS);
                assertThat(m.value("portico_connections_active", "frontend", "frontend-9999")).isEqualTo(0);
                assertThat(m.sampleNames()).contains("jvm_memory_used_bytes");
            }
            HttpRequest status = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status"))
                    .timeout(Duration.ofSeconds(120)).build();
            HttpResponse<String> s = http.send(status, HttpResponse.BodyHandlers.ofString());
            assertThat(s.statusCode()).isEqualTo(200);
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(s.body()).get("frontends").size())
                    .isEqualTo(FRONTENDS);
            assertThat(child.isAlive()).as("the child, stderr: %s", Files.readString(err)).isTrue();
        } finally {
            child.getOutputStream().close();
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
            assertThat(Files.readString(err)).doesNotContain("OutOfMemoryError");
            Files.deleteIfExists(err);
        }
    }
}

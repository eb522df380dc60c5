package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A launched router's {@code --metrics} endpoint as the end-to-end tests read it: a free port to
 * pass, {@code /status} and {@code /metrics} parsed, and the wait until frontends listen, which asks
 * {@code /status} because a connect probe would be a connection, and counted.
 */
final class MetricsEndpoint {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A port that was free a moment ago, for {@link #flag()}. */
    final int port = Net.freePort();

    /** {@return the value of {@code --metrics}} */
    String flag() {
        return Net.HOST + ":" + port;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return request("GET", path);
    }

    HttpResponse<String> request(String method, String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + flag() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    PrometheusText metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        return PrometheusText.parse(r.body());
    }

    JsonNode status() throws IOException, InterruptedException {
        HttpResponse<String> r = get("/status");
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** Waits, up to {@link Launchers#START}, until {@code /status} shows these frontends listening. */
    void awaitListening(String... frontends) {
        await().atMost(Launchers.START).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
            HttpResponse<String> r = get("/status");
            if (r.statusCode() != 200) {
                return false;
            }
            JsonNode status = JSON.readTree(r.body());
            for (String f : frontends) {
                if (!frontend(status, f).get("state").asText().equals("listening")) {
                    return false;
                }
            }
            return true;
        });
    }

    /** The entry of frontend {@code name} in a {@code /status} document. */
    static JsonNode frontend(JsonNode status, String name) {
        for (JsonNode f : status.get("frontends")) {
            if (f.get("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no frontend " + name + " in " + status);
    }
}

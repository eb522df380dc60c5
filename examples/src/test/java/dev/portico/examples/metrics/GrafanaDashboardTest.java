package dev.portico.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.api.BackendSource;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.SourceCoordinator;
import dev.portico.examples.PrometheusText;
import dev.portico.netty.NettyForwardingEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code examples/grafana/portico-dashboard.json} is valid JSON for Grafana, takes its Prometheus
 * data source from a variable, and asks only for metrics the router actually exports.
 */
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Path.of("grafana", "portico-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\b(?:portico|jvm|process|system)_[a-z0-9_]+");

    @Test
    void dashboardUsesADataSourceVariableAndOnlyExportedMetrics() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        assertThat(dashboard.get("title").asText()).isEqualTo("Portico");
        JsonNode datasource = null;
        for (JsonNode v : dashboard.get("templating").get("list")) {
            if (v.get("type").asText().equals("datasource")) {
                datasource = v;
            }
        }
        assertThat(datasource).as("a data source variable").isNotNull();
        assertThat(datasource.get("query").asText()).isEqualTo("prometheus");
        String ref = "${" + datasource.get("name").asText() + "}";

        List<String> queries = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt())).as("unique panel id " + panel.get("id")).isTrue();
            assertThat(panel.get("gridPos")).isNotNull();
            if (panel.get("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.get("datasource").get("uid").asText()).as(panel.get("title").asText()).isEqualTo(ref);
            assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            for (JsonNode t : panel.get("targets")) {
                assertThat(t.get("datasource").get("uid").asText()).isEqualTo(ref);
                queries.add(t.get("expr").asText());
            }
        }
        for (JsonNode v : dashboard.get("templating").get("list")) {
            if (v.has("definition")) {
                queries.add(v.get("definition").asText());
            }
        }
        Set<String> used = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertThat(used).contains("portico_connections_active", "portico_client_to_backend_bytes_total",
                "portico_backend_healthy", "portico_source_watch_state", "jvm_memory_used_bytes");
        assertThat(exportedSampleNames()).containsAll(used);
    }

    /** Every sample name a router with one frontend, one source and a watch state exports. */
    private static Set<String> exportedSampleNames() throws Exception {
        NettyForwardingEngine engine;
        try (PorticoMetrics metrics = new PorticoMetrics()) {
            engine = NettyForwardingEngine.builder().events(metrics.events()).build();
            try (SourceCoordinator coordinator = new SourceCoordinator(engine, metrics.events())) {
                Frontend f = Frontend.builder("127.0.0.1:0").name("web").backend("127.0.0.1:9")
                        .health(HealthCheck.DEFAULT.withEnabled(false)).build();
                coordinator.add(BackendSource.fixed("file", List.of(f)));
                metrics.watchState("kubernetes", () -> "WATCHING");
                metrics.bind(engine, coordinator, List.of("file"), "test");
                coordinator.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.generation() > 0);
                // GC pause timers appear with the first collection.
                System.gc();
                await().atMost(Duration.ofSeconds(10)).until(() -> metrics.scrape().contains("jvm_gc_pause_seconds_count"));
                return PrometheusText.parse(metrics.scrape()).sampleNames();
            } finally {
                engine.close(Duration.ZERO);
            }
        }
    }
}

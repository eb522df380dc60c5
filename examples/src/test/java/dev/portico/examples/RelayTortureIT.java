package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portico.netty.torture.Scenario;
import dev.portico.netty.torture.TortureRound;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay torture property through the launcher jar as a separate process, configured by a
 * YAML file as an operator would: a subset of the engine suite's scenarios (see proxy-netty's
 * {@code RelayTortureTest}), on the transport the router picks by default.
 */
class RelayTortureIT {
    private static final int COUNT = Integer.getInteger("portico.torture.launcher.count", 40);
    private static final String REPLAY = "mvn -B -pl examples -am verify -Dit.test=RelayTortureIT -Dtest=none"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dportico.torture.seed={seed}"
            + " -Dportico.torture.launcher.count=1";

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    @Test
    void everyByteBeforeAFinArrivesInOrderThroughTheLauncher() throws Exception {
        Long fixed = Long.getLong("portico.torture.seed");
        long seed = fixed != null ? fixed : ThreadLocalRandom.current().nextLong(1L << 48);
        List<Scenario> scenarios = TortureRound.draw(seed, COUNT, true);
        int metricsPort = Net.freePort();
        TortureRound.Result result = TortureRound.run((s, backends) -> start(s, backends, metricsPort), scenarios,
                Runtime.getRuntime().availableProcessors(), Duration.ofMinutes(4), System.out::println);
        System.out.printf("torture through the launcher: round seed %d, %d connections, %d MiB, %d failed%n", seed,
                result.connections(), result.bytes() >> 20, result.failures().size());
        assertThat(result.failures())
                .withFailMessage(() -> TortureRound.report("relay through the launcher", seed, COUNT, true, result,
                        REPLAY))
                .isEmpty();
    }

    /** Writes one frontend per scenario, starts the router and waits until every one listens. */
    private List<InetSocketAddress> start(List<Scenario> scenarios, List<InetSocketAddress> backends, int metricsPort)
            throws Exception {
        StringBuilder yaml = new StringBuilder("apiVersion: v1\nfrontends:\n");
        for (int i = 0; i < scenarios.size(); i++) {
            yaml.append("  - name: t").append(i).append('\n')
                    .append("    bind: 127.0.0.1:0\n")
                    .append("    health:\n      enabled: false\n");
            if (scenarios.get(i).order() == Scenario.Order.IDLE) {
                yaml.append("    idleTimeout: ").append(Scenario.IDLE_TIMEOUT.toSeconds()).append("s\n");
            }
            yaml.append("    backends:\n      - address: 127.0.0.1:").append(backends.get(i).getPort()).append('\n');
        }
        Path config = dir.resolve("torture.yaml");
        Files.writeString(config, yaml, StandardCharsets.UTF_8);
        launchers.portico("router", "-c", config.toString(), "--no-access-log", "--metrics",
                "127.0.0.1:" + metricsPort);
        Map<String, InetSocketAddress> bound = new HashMap<>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            bound.putAll(listening(metricsPort));
            return bound.size() >= scenarios.size();
        });
        List<InetSocketAddress> out = new ArrayList<>();
        for (int i = 0; i < scenarios.size(); i++) {
            out.add(bound.get("t" + i));
        }
        return out;
    }

    /** The frontends that listen, by name, from the router's /status. */
    private static Map<String, InetSocketAddress> listening(int metricsPort) {
        Map<String, InetSocketAddress> out = new HashMap<>();
        JsonNode status;
        try (InputStream in = URI.create("http://127.0.0.1:" + metricsPort + "/status").toURL().openStream()) {
            status = new ObjectMapper().readTree(in);
        } catch (java.io.IOException notYet) {
            return out; // the router is still starting
        }
        for (JsonNode f : status.path("frontends")) {
            String address = f.path("boundAddress").asText("");
            int colon = address.lastIndexOf(':');
            if ("listening".equals(f.path("state").asText()) && colon > 0) {
                out.put(f.path("name").asText(), new InetSocketAddress("127.0.0.1",
                        Integer.parseInt(address.substring(colon + 1))));
            }
        }
        return out;
    }
}

package dev.portico.netty.torture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portico.api.DesiredState;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.netty.NettyForwardingEngine;
import dev.portico.netty.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The relay property, checked over randomized scenarios on every transport: every byte a peer
 * wrote before its FIN reaches the other peer, in order, before the EOF; a reset arrives as a
 * reset; nothing else arrives (see {@link Scenario} for what varies).
 *
 * <p>Each run draws a new round seed and prints it. System properties:
 * <ul>
 *   <li>{@code portico.torture.seed}: the round seed (scenario i has seed + i); with
 *       {@code portico.torture.count=1} it replays exactly the scenario of that seed;</li>
 *   <li>{@code portico.torture.count}: connections per round (default 150, all at once);</li>
 *   <li>{@code portico.torture.order}: only scenarios of that order, e.g. {@code IDLE};</li>
 *   <li>{@code portico.soak}: a duration such as {@code 10m}: rounds with new seeds, on every
 *       transport, until it has passed.</li>
 * </ul>
 */
class RelayTortureTest {
    static final int COUNT = Integer.getInteger("portico.torture.count", 150);
    static final Duration ROUND_DEADLINE = Duration.ofMinutes(4);

    static final String REPLAY = "mvn -B -pl proxy-netty -am test -Dtest=RelayTortureTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dportico.torture.transport={transport}"
            + " -Dportico.torture.seed={seed} -Dportico.torture.count=1";

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void everyByteBeforeAFinArrivesInOrderAndAResetArrivesAsAReset(String transport) throws Exception {
        String only = System.getProperty("portico.torture.transport");
        if (only != null && !only.equals(transport)) {
            return;
        }
        // io_uring is held back in the product (Transport's javadoc): this suite finds connections
        // whose last bytes stall on it, e.g. seed 58865086708567 with count 1, every time. It runs
        // when asked for, never silently: the skip says why.
        assumeTrue(!transport.equals("io_uring") || Boolean.getBoolean("portico.torture.iouring")
                        || "io_uring".equals(only),
                "io_uring is held back (Netty 4.2.18 stalls the end of a stream; replay: "
                        + REPLAY.replace("{transport}", "io_uring").replace("{seed}", "58865086708567")
                        + "); -Dportico.torture.iouring=true runs it");
        Duration soak = soakDuration();
        long end = System.nanoTime() + soak.toNanos();
        Long fixed = Long.getLong("portico.torture.seed");
        int rounds = 0;
        do {
            long seed = fixed != null ? fixed : ThreadLocalRandom.current().nextLong(1L << 48);
            round(transport, seed, COUNT);
            rounds++;
        } while (fixed == null && System.nanoTime() < end);
        System.out.printf("torture %s: %d round(s) of %d connections passed%n", transport, rounds, COUNT);
    }

    static void round(String transport, long seed, int count) throws Exception {
        List<Scenario> scenarios = TortureRound.draw(seed, count, true);
        try (NettyForwardingEngine engine = NettyForwardingEngine.builder().transport(Transport.fromName(transport))
                .ioThreads(2).build()) {
            TortureRound.Result result = TortureRound.run((s, backends) -> frontends(engine, s, backends), scenarios,
                    Runtime.getRuntime().availableProcessors(), ROUND_DEADLINE, System.out::println);
            System.out.printf("torture %s: round seed %d, %d connections, %d MiB, %d failed%n", transport, seed,
                    result.connections(), result.bytes() >> 20, result.failures().size());
            assertThat(result.failures())
                    .withFailMessage(() -> TortureRound.report("relay on " + transport, seed, count, true, result,
                            REPLAY.replace("{transport}", transport)))
                    .isEmpty();
        }
    }

    static List<InetSocketAddress> frontends(NettyForwardingEngine engine, List<Scenario> scenarios,
                                             List<InetSocketAddress> backends) {
        List<Frontend> frontends = new ArrayList<>();
        for (int i = 0; i < scenarios.size(); i++) {
            Scenario s = scenarios.get(i);
            Frontend.Builder f = Frontend.builder("127.0.0.1:0").name("t" + i)
                    .backend("127.0.0.1:" + backends.get(i).getPort())
                    // Each backend listener accepts exactly one connection: no probes.
                    .health(HealthCheck.DEFAULT.withEnabled(false));
            if (s.order() == Scenario.Order.IDLE) {
                f.idleTimeout(Scenario.IDLE_TIMEOUT);
            }
            frontends.add(f.build());
        }
        engine.apply(DesiredState.of(frontends.toArray(Frontend[]::new)));
        List<InetSocketAddress> out = new ArrayList<>();
        for (int i = 0; i < scenarios.size(); i++) {
            EngineStatus.FrontendStatus st = engine.status().frontend("t" + i).orElseThrow();
            out.add(st.boundAddress());
        }
        return out;
    }

    static Duration soakDuration() {
        String s = System.getProperty("portico.soak");
        if (s == null || s.isBlank()) {
            return Duration.ZERO;
        }
        s = s.strip();
        char unit = s.charAt(s.length() - 1);
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        return switch (unit) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("portico.soak: use 90s, 10m or 2h, got " + s);
        };
    }
}

package dev.portico.netty.torture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Runs many {@link Scenario}s at once through a proxy, with every CPU kept busy by burner threads,
 * and collects each connection that broke the property, with its scenario and the command that
 * replays it.
 */
public final class TortureRound {

    /** The proxy under test: one frontend per scenario, in front of that scenario's backend. */
    public interface Proxy {
        /** Starts the frontends; returns, in the same order, where each scenario's client connects. */
        List<InetSocketAddress> frontends(List<Scenario> scenarios, List<InetSocketAddress> backends) throws Exception;
    }

    /** A connection that broke the property. */
    public record Failure(Scenario scenario, List<String> problems) {
    }

    /** The outcome of one round. */
    public record Result(int connections, long bytes, List<Failure> failures) {
    }

    private TortureRound() {
    }

    /**
     * Draws {@code count} scenarios from {@code seed}: scenario i has the seed {@code seed + i}
     * (with {@code portico.torture.order} set, the next seeds of that order).
     */
    public static List<Scenario> draw(long seed, int count, boolean big) {
        List<Scenario> out = new ArrayList<>(count);
        // Test-only: portico.torture.order=IDLE (say) keeps only scenarios of that order, each still
        // replayed by its own seed.
        String only = System.getProperty("portico.torture.order");
        for (long s = seed; out.size() < count; s++) {
            Scenario scenario = Scenario.draw(s, big);
            if (only == null || scenario.order().name().equals(only)) {
                out.add(scenario);
            }
        }
        return out;
    }

    /**
     * Runs {@code scenarios} at once through {@code proxy} with {@code burners} busy threads beside
     * them; a connection that has not ended within {@code deadline} fails as stalled.
     */
    public static Result run(Proxy proxy, List<Scenario> scenarios, int burners, Duration deadline,
                             Consumer<String> log) throws Exception {
        List<ServerSocket> listeners = new ArrayList<>();
        List<InetSocketAddress> backends = new ArrayList<>();
        try {
            for (Scenario s : scenarios) {
                ServerSocket ss = TortureConnection.listen(s);
                listeners.add(ss);
                backends.add((InetSocketAddress) ss.getLocalSocketAddress());
            }
        } catch (IOException e) {
            for (ServerSocket ss : listeners) {
                ss.close();
            }
            throw e;
        }
        List<InetSocketAddress> frontends = proxy.frontends(scenarios, backends);
        AtomicBoolean burning = new AtomicBoolean(true);
        List<Thread> burnerThreads = startBurners(burners, burning);
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "torture-peer");
            t.setDaemon(true);
            return t;
        });
        List<TortureConnection> connections = new ArrayList<>();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        long bytes = 0;
        try {
            for (int i = 0; i < scenarios.size(); i++) {
                Scenario s = scenarios.get(i);
                TortureConnection c = new TortureConnection(s, listeners.get(i), frontends.get(i));
                connections.add(c);
                done.add(c.start(pool));
                bytes += s.client().bytes() + s.backend().bytes();
            }
            try {
                CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
                        .get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                log.accept("round deadline of " + deadline + " passed; connections still running are stalled");
            }
            List<Failure> failures = new ArrayList<>();
            for (int i = 0; i < connections.size(); i++) {
                TortureConnection c = connections.get(i);
                if (!done.get(i).isDone()) {
                    failures.add(new Failure(c.scenario, List.of("stalled: " + c.progress())));
                    continue;
                }
                List<String> p = c.problems();
                if (!p.isEmpty()) {
                    failures.add(new Failure(c.scenario, p));
                } else if (c.idleNote() != null) {
                    log.accept("idle-order connection ended early, and rightly (its peers moved nothing for the idle"
                            + " timeout): scenario " + c.scenario + ": " + c.idleNote());
                }
            }
            return new Result(scenarios.size(), bytes, failures);
        } finally {
            burning.set(false);
            for (TortureConnection c : connections) {
                c.abort();
            }
            pool.shutdownNow();
            for (Thread t : burnerThreads) {
                t.join();
            }
        }
    }

    private static List<Thread> startBurners(int n, AtomicBoolean burning) {
        List<Thread> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                long x = 0;
                while (burning.get()) {
                    x += System.nanoTime() & 7;
                }
                if (x == 42) {
                    Thread.onSpinWait();
                }
            }, "torture-burner-" + i);
            t.setDaemon(true);
            t.start();
            out.add(t);
        }
        return out;
    }

    /** The report of a failed round: every broken connection, its scenario, and how to replay it. */
    public static String report(String where, long seed, int count, boolean big, Result result, String replay) {
        StringBuilder b = new StringBuilder();
        b.append(where).append(": ").append(result.failures().size()).append(" of ").append(result.connections())
                .append(" connections broke the relay property (round seed ").append(seed).append(", ")
                .append(count).append(" scenarios").append(big ? ", large payloads" : "").append(")\n");
        for (Failure f : result.failures()) {
            b.append("  scenario ").append(f.scenario()).append('\n');
            for (String p : f.problems()) {
                b.append("    ").append(p).append('\n');
            }
            b.append("    replay: ").append(replay.replace("{seed}", Long.toString(f.scenario().seed()))).append('\n');
        }
        return b.toString();
    }
}

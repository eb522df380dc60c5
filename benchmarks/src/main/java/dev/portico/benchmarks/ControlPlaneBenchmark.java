package dev.portico.benchmarks;

import dev.portico.api.ApplyResult;
import dev.portico.api.Backend;
import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Snapshot;
import dev.portico.api.MergeProbe;
import dev.portico.netty.NettyForwardingEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Control-plane cost for a large cluster: merging two sources' snapshots of {@code frontends}
 * frontends in all, and an engine apply that changes one backend among them (the diff, with every
 * listener already open).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class ControlPlaneBenchmark {

    @Param({"10000"})
    public int frontends;

    private List<Snapshot> snapshots;
    private DesiredState stateA;
    private DesiredState stateB;
    private boolean flip;
    private NettyForwardingEngine engine;

    private static List<Frontend> frontends(int from, int count, String source, boolean variant) {
        List<Frontend> out = new ArrayList<>(count);
        for (int i = from; i < from + count; i++) {
            // Port 0 on distinct hosts of 127/8: every frontend its own listener.
            String host = "127." + (1 + i / 65000) + "." + ((i / 250) % 250) + "." + (1 + i % 250);
            Frontend.Builder b = Frontend.builder(host + ":" + (20000 + i % 40000)).name("svc-" + i).source(source)
                    .health(HealthCheck.DEFAULT.withEnabled(false))
                    .backend(new Backend("10.0." + (i / 250 % 250) + "." + (i % 250), 8080));
            if (variant && i == from) {
                b.backend(new Backend("10.1.0.1", 8080));
            }
            out.add(b.build());
        }
        return out;
    }

    @Setup(Level.Trial)
    public void setUp() {
        int half = frontends / 2;
        snapshots = List.of(new Snapshot("file", frontends(0, half, "file", false)),
                new Snapshot("kubernetes", frontends(half, frontends - half, "kubernetes", false)));
        stateA = MergeProbe.merge(snapshots, DesiredState.EMPTY);
        List<Frontend> b = new ArrayList<>(stateA.frontends());
        b.set(0, frontends(0, 1, "file", true).get(0));
        stateB = new DesiredState(b);
        // One listening socket per frontend: with SO_REUSEPORT (the default) 10,000 frontends would
        // take one per I/O thread, 20,000 descriptors, the whole of a common limit.
        engine = NettyForwardingEngine.builder().ioThreads(2).reusePort(false).build();
        ApplyResult first = engine.apply(stateA);
        if (!first.failures().isEmpty()) {
            throw new IllegalStateException(first.failures().size() + " listeners failed, first: "
                    + first.failures().get(0));
        }
    }

    @Benchmark
    public DesiredState merge() {
        return MergeProbe.merge(snapshots, stateA);
    }

    @Benchmark
    public ApplyResult applyOneBackendChange() {
        flip = !flip;
        return engine.apply(flip ? stateB : stateA);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close(Duration.ofSeconds(2));
    }
}

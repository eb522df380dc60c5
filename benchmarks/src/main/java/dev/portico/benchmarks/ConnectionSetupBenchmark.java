package dev.portico.benchmarks;

import dev.portico.netty.NettyForwardingEngine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Connection set-up: connect through the proxy, one byte each way, close. The proxy accepts,
 * picks a backend, connects to it and tears both down per operation. Besides the rate it reports
 * what the proxy's I/O threads allocated ({@code proxyBytes}, from the JVM's per-thread counters)
 * and the connections made ({@code connections}); their quotient is the proxy's bytes per
 * connection. {@code -prof gc} counts the whole JVM, where the benchmark's own blocking client
 * sockets allocate more than ten times what the proxy does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class ConnectionSetupBenchmark {

    @Param({"epoll", "nio", "io_uring", "direct"})
    public String transport;

    /** One listening socket per I/O thread (SO_REUSEPORT) or one shared; native transports only. */
    @Param({"true", "false"})
    public boolean reusePort;

    private ServerSocket backend;
    private NettyForwardingEngine engine;
    private InetSocketAddress target;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        backend = Loopback.serve(Loopback::echo);
        if (transport.equals("direct")) {
            target = (InetSocketAddress) backend.getLocalSocketAddress();
        } else {
            NettyForwardingEngine.Builder b = NettyForwardingEngine.builder()
                    .transport(dev.portico.netty.Transport.fromName(transport));
            if (!transport.equals("nio")) {
                b.reusePort(reusePort);
            }
            engine = Loopback.engine(b, backend.getLocalPort());
            target = Loopback.frontendAddress(engine);
        }
    }

    /**
     * What the proxy's I/O threads allocate, next to the connections made: JMH sums such counters
     * over the measurement iterations, so bytes per connection is {@code proxyBytes / connections}.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class ProxyAllocation {
        /** Bytes allocated on the proxy's event loops ({@code 0} for direct). */
        public long proxyBytes;
        /** Connections made meanwhile. */
        public long connections;
        private long before;

        @Setup(Level.Iteration)
        public void start() {
            proxyBytes = 0;
            connections = 0;
            before = ioThreadBytes();
        }

        @TearDown(Level.Iteration)
        public void stop() {
            proxyBytes = ioThreadBytes() - before;
        }

        private static long ioThreadBytes() {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long sum = 0;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("portico-io")) {
                    sum += threads.getThreadAllocatedBytes(t.getId());
                }
            }
            return sum;
        }
    }

    @Benchmark
    public int connectExchangeClose(ProxyAllocation allocation) throws IOException {
        allocation.connections++;
        try (Socket s = Loopback.connect(target)) {
            s.getOutputStream().write(1);
            int b = s.getInputStream().read();
            if (b != 1) {
                throw new IOException("expected the echoed byte, got " + b);
            }
            return b;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (engine != null) {
            engine.close(Duration.ofSeconds(1));
        }
        backend.close();
    }
}

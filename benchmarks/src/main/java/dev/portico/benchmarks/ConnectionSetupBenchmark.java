package dev.portico.benchmarks;

import dev.portico.netty.NettyForwardingEngine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
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
 * Connection set-up: connect through the proxy, one byte each way, close. The proxy accepts,
 * picks a backend, connects to it and tears both down per operation.
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

    @Benchmark
    public int connectExchangeClose() throws IOException {
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

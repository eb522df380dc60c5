package dev.portico.benchmarks;

import dev.portico.netty.NettyForwardingEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * Request/response latency: one {@code size}-byte message to an echo backend and its answer
 * back, over one kept connection. Compare with {@code direct} (no proxy) for the proxy's share.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class RequestResponseBenchmark {

    @Param({"epoll", "nio", "io_uring", "direct"})
    public String transport;

    @Param({"pooled"})
    public String allocator;

    @Param({"64"})
    public int size;

    private ServerSocket backend;
    private NettyForwardingEngine engine;
    private Socket client;
    private OutputStream out;
    private InputStream in;
    private byte[] request;
    private byte[] response;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        backend = Loopback.serve(Loopback::echo);
        if (transport.equals("direct")) {
            client = Loopback.connect((java.net.InetSocketAddress) backend.getLocalSocketAddress());
        } else {
            engine = Loopback.engine(transport, allocator, backend.getLocalPort());
            client = Loopback.connect(Loopback.frontendAddress(engine));
        }
        out = client.getOutputStream();
        in = client.getInputStream();
        request = new byte[size];
        response = new byte[size];
    }

    @Benchmark
    public byte[] roundTrip() throws IOException {
        out.write(request);
        int got = 0;
        while (got < size) {
            int n = in.read(response, got, size - got);
            if (n < 0) {
                throw new IOException("connection closed after " + got + " bytes");
            }
            got += n;
        }
        return response;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        client.close();
        if (engine != null) {
            engine.close(Duration.ofSeconds(1));
        }
        backend.close();
    }
}

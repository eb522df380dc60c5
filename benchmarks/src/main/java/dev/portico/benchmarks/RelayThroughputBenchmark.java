package dev.portico.benchmarks;

import dev.portico.netty.NettyForwardingEngine;
import java.io.IOException;
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
 * Bulk throughput through the proxy: the client writes {@code chunk} bytes per operation into one
 * long-lived connection, the backend discards them. Bytes per second = ops/s × chunk.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class RelayThroughputBenchmark {

    @Param({"epoll", "nio", "io_uring"})
    public String transport;

    @Param({"pooled", "adaptive", "unpooled"})
    public String allocator;

    @Param({"1024", "16384", "131072"})
    public int chunk;

    /** Largest buffer one socket read fills (the engine's default is 256 KiB). */
    @Param({"262144"})
    public int readBuffer;

    /** Write-queue high water mark per direction (the low mark is half of it). */
    @Param({"65536"})
    public int highWaterMark;

    private ServerSocket backend;
    private NettyForwardingEngine engine;
    private Socket client;
    private OutputStream out;
    private byte[] buf;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        backend = Loopback.serve(Loopback::sink);
        engine = Loopback.engine(NettyForwardingEngine.builder()
                .transport(dev.portico.netty.Transport.fromName(transport))
                .allocator(Loopback.allocator(allocator))
                .maxReadBuffer(readBuffer)
                .writeBufferWaterMark(highWaterMark / 2, highWaterMark), backend.getLocalPort());
        client = Loopback.connect(Loopback.frontendAddress(engine));
        out = client.getOutputStream();
        buf = new byte[chunk];
    }

    @Benchmark
    public void bulk() throws IOException {
        out.write(buf);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        client.close();
        engine.close(Duration.ofSeconds(1));
        backend.close();
    }
}

package dev.portico.benchmarks;

import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Protocol;
import dev.portico.netty.NettyForwardingEngine;
import dev.portico.netty.Transport;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
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
 * The datagram path of a UDP frontend: {@link #roundTrip} sends one {@code size}-byte datagram to
 * an echo backend and waits for its answer (a DNS query's shape); {@link #burst} sends
 * {@code burst} datagrams on one flow and then reads their answers (datagrams/s = ops/s × burst,
 * each way), which exercises the batched reads and the one flush per read batch. Compare with
 * {@code direct} (no proxy) for the proxy's share.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class DatagramBenchmark {

    @Param({"epoll", "nio", "io_uring", "direct"})
    public String transport;

    @Param({"64"})
    public int size;

    /** Datagrams in flight in {@link #burst}: well under what a default socket buffer holds. */
    @Param({"16"})
    public int burst;

    @Param({"off"})
    public String proxyProtocol;

    private DatagramSocket backend;
    private Thread backendThread;
    private NettyForwardingEngine engine;
    private DatagramSocket client;
    private DatagramPacket request;
    private DatagramPacket response;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        backend = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        backendThread = new Thread(this::echo, "bench-udp-echo");
        backendThread.setDaemon(true);
        backendThread.start();
        SocketAddress target = backend.getLocalSocketAddress();
        if (!transport.equals("direct")) {
            engine = NettyForwardingEngine.builder().transport(Transport.fromName(transport)).build();
            engine.apply(DesiredState.of(Frontend.builder("127.0.0.1:0").name("bench").protocol(Protocol.UDP)
                    .backend("127.0.0.1:" + backend.getLocalPort())
                    .sendProxy(dev.portico.api.ProxyProtocol.valueOf(proxyProtocol.toUpperCase(java.util.Locale.ROOT)))
                    .health(HealthCheck.DEFAULT.withEnabled(false))
                    .build()));
            target = engine.status().frontend("bench").orElseThrow().boundAddress();
        }
        client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        // A lost datagram fails the run instead of hanging it.
        client.setSoTimeout(5_000);
        client.connect(target);
        request = new DatagramPacket(new byte[size], size);
        response = new DatagramPacket(new byte[65_536], 65_536);
    }

    /** Echoes each datagram's payload after a PROXY header, if there is one (the backend's own parse). */
    private void echo() {
        byte[] buf = new byte[65_536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!backend.isClosed()) {
            try {
                p.setData(buf);
                backend.receive(p);
                int skip = p.getLength() >= 16 && buf[0] == 0x0D && buf[12] == 0x21
                        ? 16 + ((buf[14] & 0xff) << 8 | (buf[15] & 0xff)) : 0;
                p.setData(buf, skip, p.getLength() - skip);
                backend.send(p);
            } catch (IOException e) {
                return; // closed by tearDown
            }
        }
    }

    @Benchmark
    public int roundTrip() throws IOException {
        client.send(request);
        client.receive(response);
        return response.getLength();
    }

    @Benchmark
    public int burst() throws IOException {
        for (int i = 0; i < burst; i++) {
            client.send(request);
        }
        int n = 0;
        for (int i = 0; i < burst; i++) {
            client.receive(response);
            n += response.getLength();
        }
        return n;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        client.close();
        if (engine != null) {
            engine.close(Duration.ofSeconds(1));
        }
        backend.close();
        backendThread.join(5_000);
    }
}

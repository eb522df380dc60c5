package dev.portico.benchmarks;

import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.netty.NettyForwardingEngine;
import dev.portico.netty.Transport;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Loopback servers and an engine in front of them, for the benchmarks. */
final class Loopback {

    private Loopback() {
    }

    interface Handler {
        void handle(Socket s) throws IOException;
    }

    /** A blocking server on 127.0.0.1 with a thread per connection; closing it stops accepting. */
    static ServerSocket serve(Handler handler) throws IOException {
        ServerSocket server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    s.setTcpNoDelay(true);
                    Thread c = new Thread(() -> {
                        try (s) {
                            handler.handle(s);
                        } catch (IOException e) {
                            // the benchmark closed the connection mid-stream; nothing to report
                            return;
                        }
                    }, "bench-conn");
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return; // server closed
                }
            }
        }, "bench-accept");
        t.setDaemon(true);
        t.start();
        return server;
    }

    static void sink(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[256 * 1024];
        while (in.read(buf) >= 0) {
            continue;
        }
    }

    static void echo(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
        }
    }

    static ByteBufAllocator allocator(String name) {
        return switch (name) {
            case "pooled" -> PooledByteBufAllocator.DEFAULT;
            case "adaptive" -> new AdaptiveByteBufAllocator();
            case "unpooled" -> UnpooledByteBufAllocator.DEFAULT;
            default -> throw new IllegalArgumentException("allocator " + name);
        };
    }

    /** An engine with one frontend on 127.0.0.1 forwarding to {@code backendPort}. */
    static NettyForwardingEngine engine(String transport, String allocator, int backendPort) {
        return engine(NettyForwardingEngine.builder().transport(Transport.fromName(transport))
                .allocator(allocator(allocator)), backendPort);
    }

    static NettyForwardingEngine engine(NettyForwardingEngine.Builder builder, int backendPort) {
        NettyForwardingEngine engine = builder.build();
        engine.apply(DesiredState.of(Frontend.builder("127.0.0.1:0").name("bench")
                .backend("127.0.0.1:" + backendPort)
                .health(HealthCheck.DEFAULT.withEnabled(false))
                .build()));
        return engine;
    }

    static InetSocketAddress frontendAddress(NettyForwardingEngine engine) {
        return engine.status().frontend("bench").orElseThrow().boundAddress();
    }

    static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(address, 5000);
        return s;
    }
}

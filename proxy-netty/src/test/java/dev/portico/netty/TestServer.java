package dev.portico.netty;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** A real blocking TCP server on 127.0.0.1 running one handler thread per connection. */
final class TestServer implements AutoCloseable {

    interface Handler {
        void handle(Socket s) throws Exception;
    }

    private final ServerSocket server;
    private final Handler handler;
    final AtomicInteger accepted = new AtomicInteger();
    final LinkedBlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<Socket> sockets = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    TestServer(Handler handler) throws IOException {
        this(0, handler);
    }

    TestServer(int port, Handler handler) throws IOException {
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        this.handler = handler;
        Thread t = new Thread(this::acceptLoop, "test-server-" + port());
        t.setDaemon(true);
        t.start();
    }

    static TestServer echo() throws IOException {
        return new TestServer(s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            in.transferTo(out);
            s.shutdownOutput();
        });
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            sockets.add(s);
            Thread t = new Thread(() -> {
                try (s) {
                    handler.handle(s);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "test-conn");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** A port nobody listens on (bound, then released). */
    static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

package dev.portico.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A test backend that greets each connection with its name on a line, then echoes: a client can
 * tell which backend it reached and check its bytes come back.
 */
final class NamedEchoServer implements AutoCloseable {
    private final String name;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-backend");
        t.setDaemon(true);
        return t;
    });

    NamedEchoServer(String name) throws IOException {
        this(name, new InetSocketAddress(InetAddress.getByName(Net.HOST), 0));
    }

    /** Listens on {@code at}, e.g. 127.0.0.2 and a port the test chose. */
    NamedEchoServer(String name, InetSocketAddress at) throws IOException {
        this.name = name;
        this.server = new ServerSocket();
        try {
            server.bind(at);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        threads.execute(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return Net.HOST + ":" + port();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                threads.execute(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            OutputStream out = s.getOutputStream();
            out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // Health probes connect and leave at once.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}

package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Stands in for a LoadBalancer Service's ingress address: an echo server on 127.0.0.2 (Linux
 * routes all of 127/8 to loopback) at a port that is free on 127.0.0.1 too, where the router
 * exposes the Service ({@code --bind 127.0.0.1}: same port, other address).
 */
final class IngressBackend implements AutoCloseable {

    static final String INGRESS_IP = "127.0.0.2";

    private final TcpServer server;

    private IngressBackend(TcpServer server) {
        this.server = server;
    }

    /** Greets each connection with {@code name}, then echoes. */
    static IngressBackend start(String name) throws IOException {
        InetAddress ingress = InetAddress.getByName(INGRESS_IP);
        for (int attempt = 0; attempt < 50; attempt++) {
            TcpServer candidate = TcpServer.namedEcho(name, new InetSocketAddress(ingress, 0));
            if (freeOn127001(candidate.port())) {
                return new IngressBackend(candidate);
            }
            candidate.close();
        }
        throw new IllegalStateException("no port free on both 127.0.0.1 and 127.0.0.2 in 50 attempts");
    }

    private static boolean freeOn127001(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(Net.HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The Service port: the backend listens on it at 127.0.0.2, the router exposes it on 127.0.0.1. */
    int port() {
        return server.port();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

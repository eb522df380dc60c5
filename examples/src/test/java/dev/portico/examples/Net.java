package dev.portico.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Client-side helpers for tests: free ports, connect probes, line-based connections. */
final class Net {
    static final String HOST = "127.0.0.1";

    private Net() {
    }

    /** A port that was free a moment ago (bound and released). */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether something accepts connections on {@code 127.0.0.1:port}. */
    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A connection that sends and reads lines. */
    static final class Conn implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        private Conn(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(10_000);
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.out = socket.getOutputStream();
        }

        static Conn open(int port) throws IOException {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(HOST, port), 2000);
                return new Conn(s);
            } catch (IOException e) {
                s.close();
                throw e;
            }
        }

        /** The client side's port, to find this connection in the access log. */
        int localPort() {
            return socket.getLocalPort();
        }

        /** The first line the server sends. */
        String readLine() throws IOException {
            return in.readLine();
        }

        /** Sends a line and returns the line that comes back. */
        String roundTrip(String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return in.readLine();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

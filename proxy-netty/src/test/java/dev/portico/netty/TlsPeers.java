package dev.portico.netty;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Real TLS on both ends, for SNI routing tests: backends that terminate TLS with a self-signed
 * certificate (made once by the JDK's keytool) and greet each client with their own name, then
 * echo; clients that send a chosen server name (or none) and can mangle how their first record
 * reaches the wire.
 */
final class TlsPeers {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static SSLContext server;
    private static SSLContext client;

    private TlsPeers() {
    }

    static synchronized SSLContext serverContext() throws Exception {
        if (server == null) {
            Path dir = Files.createTempDirectory("portico-tls");
            Path store = dir.resolve("server.p12");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                    "-dname", "CN=portico-test", "-ext", "SAN=dns:*.example.org,dns:example.org",
                    "-storetype", "PKCS12", "-keystore", store.toString(),
                    "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + out);
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, PASSWORD);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            server = ctx;
        }
        return server;
    }

    static synchronized SSLContext clientContext() throws Exception {
        if (client == null) {
            // The tests are about routing, not about trust: the backends' certificate is self-signed.
            TrustManager trustAll = new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            };
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{trustAll}, null);
            client = ctx;
        }
        return client;
    }

    /** A TLS server that writes "name\n" after the handshake, then echoes every byte. */
    static final class Backend implements AutoCloseable {
        final String name;
        /** TLS handshakes completed. */
        final AtomicInteger accepted = new AtomicInteger();
        private final SSLServerSocket socket;
        private final ExecutorService pool = Executors.newCachedThreadPool();

        Backend(String name) throws Exception {
            this.name = name;
            socket = (SSLServerSocket) serverContext().getServerSocketFactory().createServerSocket(0, 200,
                    java.net.InetAddress.getLoopbackAddress());
            pool.execute(this::acceptLoop);
        }

        String address() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                Socket s;
                try {
                    s = socket.accept();
                } catch (IOException e) {
                    return;
                }
                pool.execute(() -> serve(s));
            }
        }

        private void serve(Socket s) {
            try (s) {
                // Health probes connect and close; only finished handshakes count as served.
                ((javax.net.ssl.SSLSocket) s).startHandshake();
                accepted.incrementAndGet();
                OutputStream out = s.getOutputStream();
                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.getInputStream().transferTo(out);
            } catch (IOException e) {
                // The client went away (a refused or finished test connection): nothing to serve.
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            pool.shutdownNow();
        }
    }

    /** How the client's first bytes reach the proxy. */
    enum Wire { PLAIN, ONE_BYTE_AT_A_TIME, SPLIT_INTO_RECORDS }

    /**
     * Connects to {@code proxy} and completes a TLS handshake sending {@code serverName} (none when
     * {@code null}).
     */
    static SSLSocket connect(InetSocketAddress proxy, String serverName, Wire wire) throws Exception {
        Socket raw = wire == Wire.PLAIN ? new Socket() : new MangledSocket(wire);
        raw.setTcpNoDelay(true);
        raw.connect(proxy, 10_000);
        raw.setSoTimeout(20_000);
        // The JDK resumes a session cached for the peer's host:port and then sends that session's
        // server name: the peer host given here keeps sessions apart per name.
        SSLSocket s = (SSLSocket) clientContext().getSocketFactory().createSocket(raw,
                serverName == null ? "localhost" : serverName, proxy.getPort(), true);
        SSLParameters params = s.getSSLParameters();
        List<SNIServerName> names = serverName == null ? List.of() : List.of(new SNIHostName(serverName));
        params.setServerNames(names);
        s.setSSLParameters(params);
        s.startHandshake();
        return s;
    }

    /** Connects and returns the name the backend greeted with. */
    static String greeting(InetSocketAddress proxy, String serverName) throws Exception {
        try (SSLSocket s = connect(proxy, serverName, Wire.PLAIN)) {
            return readLine(s);
        }
    }

    static String readLine(Socket s) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** A socket whose output breaks the first TLS record up: byte by byte, or into many small records. */
    private static final class MangledSocket extends Socket {
        private final Wire wire;
        private OutputStream out;

        MangledSocket(Wire wire) {
            this.wire = wire;
        }

        @Override
        public synchronized OutputStream getOutputStream() throws IOException {
            if (out == null) {
                out = new FirstRecordMangler(super.getOutputStream(), wire);
            }
            return out;
        }
    }

    private static final class FirstRecordMangler extends FilterOutputStream {
        private final Wire wire;
        private final ByteArrayOutputStream first = new ByteArrayOutputStream();
        private boolean done;

        FirstRecordMangler(OutputStream out, Wire wire) {
            super(out);
            this.wire = wire;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (done) {
                out.write(b, off, len);
                return;
            }
            first.write(b, off, len);
            byte[] have = first.toByteArray();
            if (have.length < 5) {
                return;
            }
            int recordEnd = 5 + ((have[3] & 0xff) << 8 | have[4] & 0xff);
            if (have.length < recordEnd) {
                return;
            }
            done = true;
            if (wire == Wire.ONE_BYTE_AT_A_TIME) {
                for (int i = 0; i < recordEnd; i++) {
                    out.write(have[i]);
                    out.flush();
                }
            } else {
                // The same handshake bytes in records of at most 40 bytes of payload each.
                for (int at = 5; at < recordEnd; at += 40) {
                    int n = Math.min(40, recordEnd - at);
                    out.write(new byte[]{have[0], have[1], have[2], (byte) (n >> 8), (byte) n});
                    out.write(have, at, n);
                }
                out.flush();
            }
            out.write(have, recordEnd, have.length - recordEnd);
            out.flush();
        }
    }

    /** Reads what a refused connection gets before it is closed; -1 at once means nothing. */
    static byte[] drain(Socket s) throws IOException {
        return s.getInputStream().readAllBytes();
    }

    static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    }
}

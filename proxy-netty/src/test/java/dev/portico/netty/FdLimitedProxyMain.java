package dev.portico.netty;

import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.ProxyEvents;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;

/**
 * A proxy process for {@link FdExhaustionTest}, started with a small file-descriptor limit:
 * forwards 127.0.0.1:0 to the backend port in args[0], prints its bound port on stdout and each
 * connection's close reason on stderr ({@code end=NO_DESCRIPTORS}). It holds one spare descriptor
 * and closes it when a line {@code release} arrives on stdin, so the test can shift by one which
 * of accept or the backend connect runs out first.
 */
public final class FdLimitedProxyMain {
    /** With a bidi override, which the engine's log lines must print escaped. */
    static final String NAME = "fd\u202E";

    private FdLimitedProxyMain() {
    }

    public static void main(String[] args) throws IOException {
        CountDownLatch warmedUp = new CountDownLatch(1);
        FileInputStream spare = new FileInputStream("/dev/null");
        ProxyEvents reasons = new ProxyEvents() {
            @Override
            public void onConnectionClosed(ConnectionInfo c, long in, long out, long ms, CloseReason reason) {
                System.err.println("end=" + reason);
                warmedUp.countDown();
            }
        };
        NettyForwardingEngine engine = NettyForwardingEngine.builder().ioThreads(1).events(reasons)
                // No connection limit: the test is about what happens when descriptors do run out.
                .maxConnections(0).build();
        engine.apply(DesiredState.of(Frontend.builder("127.0.0.1:0").name(NAME)
                .backend("127.0.0.1:" + args[0]).health(HealthCheck.DEFAULT.withEnabled(false)).build()));
        InetSocketAddress bound = engine.status().frontend(NAME).orElseThrow().boundAddress();
        // One connection end to end first: at the limit no class can be loaded from a directory
        // on the class path (that needs a descriptor), so the close path must have run once.
        try (Socket s = new Socket(bound.getAddress(), bound.getPort())) {
            s.getOutputStream().write('x');
            if (s.getInputStream().read() != 'x') {
                throw new IOException("warm-up connection not echoed");
            }
        }
        try {
            if (!warmedUp.await(30, TimeUnit.SECONDS)) {
                throw new IOException("warm-up connection did not end");
            }
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        System.out.write((bound.getPort() + "\n").getBytes(StandardCharsets.US_ASCII));
        System.out.flush();
        // Runs until the test closes our stdin.
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("release")) {
                spare.close();
                System.out.write("released\n".getBytes(StandardCharsets.US_ASCII));
                System.out.flush();
            }
        }
        engine.close();
    }
}

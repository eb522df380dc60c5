package dev.portico.netty;

import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A proxy process for {@link FdExhaustionTest}, started with a small file-descriptor limit:
 * forwards 127.0.0.1:0 to the backend port in args[0] and prints its bound port on stdout.
 */
public final class FdLimitedProxyMain {
    private FdLimitedProxyMain() {
    }

    public static void main(String[] args) throws IOException {
        NettyForwardingEngine engine = NettyForwardingEngine.builder().ioThreads(1)
                // No connection limit: the test is about what happens when descriptors do run out.
                .maxConnections(0).build();
        engine.apply(DesiredState.of(Frontend.builder("127.0.0.1:0").name("fd")
                .backend("127.0.0.1:" + args[0]).health(HealthCheck.DEFAULT.withEnabled(false)).build()));
        InetSocketAddress bound = engine.status().frontend("fd").orElseThrow().boundAddress();
        System.out.write((bound.getPort() + "\n").getBytes(StandardCharsets.US_ASCII));
        System.out.flush();
        // Runs until the test closes our stdin.
        while (System.in.read() >= 0) {
            continue;
        }
        engine.close();
    }
}

package dev.portico.examples.metrics;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A metrics endpoint over an engine that reports {@code args[0]} frontends, for a child JVM with a
 * small heap: prints {@code port N} and serves until its standard input closes. Uses only the
 * public API, as the router does.
 */
public final class SmallHeapRouter {

    private SmallHeapRouter() {
    }

    public static void main(String[] args) throws Exception {
        try (PorticoMetrics metrics = ManyFrontends.metrics(Integer.parseInt(args[0]));
             MetricsServer server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                     metrics)) {
            System.out.println("port " + server.address().getPort());
            System.out.flush();
            while (System.in.read() != -1) {
                // serve until the parent closes our stdin
            }
        }
    }
}

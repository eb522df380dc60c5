package dev.portico.examples.metrics;

import dev.portico.api.ApplyResult;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.DesiredState;
import dev.portico.api.EngineStatus;
import dev.portico.api.EngineStatus.BackendStatus;
import dev.portico.api.EngineStatus.FrontendStatus;
import dev.portico.api.EngineStatus.ListenerState;
import dev.portico.api.ForwardingEngine;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An engine that reports {@code n} listening frontends with one backend each and binds nothing:
 * the size of a big router's metrics without its sockets.
 */
final class ManyFrontends implements ForwardingEngine {

    private final EngineStatus status;

    ManyFrontends(int n) {
        List<FrontendStatus> frontends = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int port = 10_000 + i % 50_000;
            Backend backend = new Backend("10.0." + (i / 250) % 256 + "." + i % 250, 8080);
            frontends.add(new FrontendStatus("frontend-" + i, "file", BindAddress.host("127.0.0.1", port),
                    new InetSocketAddress("127.0.0.1", port), ListenerState.LISTENING, null, i % 3, i, 0,
                    List.of(new BackendStatus(backend, true, i % 3, null))));
        }
        status = new EngineStatus("nio", List.copyOf(frontends), 0);
    }

    /** Registers every frontend's meters, as the first scrape after a big apply does. */
    static PorticoMetrics metrics(int n) {
        ManyFrontends engine = new ManyFrontends(n);
        PorticoMetrics metrics = new PorticoMetrics();
        metrics.bind(engine, new dev.portico.api.SourceCoordinator(engine, dev.portico.api.ProxyEvents.NONE),
                List.of("file"), "test");
        return metrics;
    }

    @Override
    public ApplyResult apply(DesiredState desired) {
        throw new UnsupportedOperationException("a fixed status");
    }

    @Override
    public EngineStatus status() {
        return status;
    }

    @Override
    public void close(Duration drainDeadline) {
    }

    @Override
    public void close() {
    }
}

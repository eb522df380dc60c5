package dev.portico.api;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * A point-in-time view of a running engine.
 *
 * @param transport          the I/O transport in use ({@code epoll}, {@code io_uring}, {@code nio})
 * @param frontends          every frontend of the desired state
 * @param activeConnections  open client connections over all frontends
 */
public record EngineStatus(String transport, List<FrontendStatus> frontends, long activeConnections) {
    public EngineStatus {
        frontends = List.copyOf(frontends);
    }

    public Optional<FrontendStatus> frontend(String name) {
        return frontends.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** The state of one listener. */
    public enum ListenerState {
        /** Bound and accepting. */
        LISTENING,
        /** Could not bind; retried (interface binds) or waiting for the next apply. */
        FAILED,
        /** Closed and letting its connections finish. */
        DRAINING
    }

    /**
     * @param name              the frontend's name
     * @param source            the source that published it
     * @param bind              its bind address
     * @param boundAddress      the socket address actually bound, {@code null} while not listening
     * @param state             listener state
     * @param error             why it is not listening, {@code null} when it is
     * @param activeConnections open client connections
     * @param totalConnections  client connections accepted since it opened
     * @param bufferedBytes     bytes the proxy holds in its write queues for this frontend's
     *                          connections now (both directions): the backpressure gauge
     * @param backends          its backends
     * @param sni               the TLS server names that route to it on a bind shared by name (empty:
     *                          its own bind, or the catch-all of a shared one)
     */
    public record FrontendStatus(String name, String source, BindAddress bind, InetSocketAddress boundAddress,
                                 ListenerState state, String error, long activeConnections,
                                 long totalConnections, long bufferedBytes, List<BackendStatus> backends,
                                 List<String> sni) {
        public FrontendStatus {
            backends = List.copyOf(backends);
            sni = List.copyOf(sni);
        }

        /** A frontend that no server name routes to. */
        public FrontendStatus(String name, String source, BindAddress bind, InetSocketAddress boundAddress,
                              ListenerState state, String error, long activeConnections,
                              long totalConnections, long bufferedBytes, List<BackendStatus> backends) {
            this(name, source, bind, boundAddress, state, error, activeConnections, totalConnections, bufferedBytes,
                    backends, List.of());
        }
    }

    /**
     * @param backend           the backend
     * @param healthy           whether it takes new connections
     * @param activeConnections connections open to it
     * @param lastError         the last probe or connect failure, {@code null} if none
     */
    public record BackendStatus(Backend backend, boolean healthy, int activeConnections, String lastError) {
    }
}

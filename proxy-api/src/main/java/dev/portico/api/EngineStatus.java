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
    /**
     * Copies the list, so a status never changes after it is returned.
     *
     * @param transport         the I/O transport in use
     * @param frontends         every frontend of the desired state
     * @param activeConnections open client connections over all frontends
     */
    public EngineStatus {
        frontends = List.copyOf(frontends);
    }

    /**
     * One frontend's status.
     *
     * @param name the frontend's name
     * @return its status, or empty when the desired state has no frontend of that name
     */
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
     * One frontend's listener, connections and backends.
     *
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
     */
    public record FrontendStatus(String name, String source, BindAddress bind, InetSocketAddress boundAddress,
                                 ListenerState state, String error, long activeConnections,
                                 long totalConnections, long bufferedBytes, List<BackendStatus> backends) {
        /**
         * Copies the backends' list.
         *
         * @param name              the frontend's name
         * @param source            the source that published it
         * @param bind              its bind address
         * @param boundAddress      the socket address actually bound, {@code null} while not listening
         * @param state             listener state
         * @param error             why it is not listening, {@code null} when it is
         * @param activeConnections open client connections
         * @param totalConnections  client connections accepted since it opened
         * @param bufferedBytes     bytes held in write queues for its connections now
         * @param backends          its backends
         */
        public FrontendStatus {
            backends = List.copyOf(backends);
        }
    }

    /**
     * One backend's health and load.
     *
     * @param backend           the backend
     * @param healthy           whether it takes new connections
     * @param activeConnections connections open to it
     * @param lastError         the last probe or connect failure, {@code null} if none
     */
    public record BackendStatus(Backend backend, boolean healthy, int activeConnections, String lastError) {
    }
}

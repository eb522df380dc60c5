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
     * @param protocol          TCP or UDP; for UDP the connection counts count flows
     * @param udp               the datagram counters of a UDP frontend, {@code null} for TCP
     * @param sni               the TLS server names that route to it on a bind shared by name (empty:
     *                          its own bind, or the catch-all of a shared one)
     */
    public record FrontendStatus(String name, String source, BindAddress bind, InetSocketAddress boundAddress,
                                 ListenerState state, String error, long activeConnections,
                                 long totalConnections, long bufferedBytes, List<BackendStatus> backends,
                                 Protocol protocol, UdpStatus udp, List<String> sni) {
        /**
         * Copies the lists; a {@code null} protocol means TCP, a {@code null} list of server names none.
         *
         * @param name              the frontend's name
         * @param source            the source that published it
         * @param bind              its bind address
         * @param boundAddress      the socket address actually bound, {@code null} while not listening
         * @param state             listener state
         * @param error             why it is not listening, {@code null} when it is
         * @param activeConnections open client connections (flows for UDP)
         * @param totalConnections  client connections (flows) accepted since it opened
         * @param bufferedBytes     bytes held in write queues for its connections now
         * @param backends          its backends
         * @param protocol          TCP or UDP
         * @param udp               a UDP frontend's datagram counters, {@code null} for TCP
         * @param sni               the TLS server names that route to it on a shared bind
         */
        public FrontendStatus {
            backends = List.copyOf(backends);
            protocol = protocol == null ? Protocol.TCP : protocol;
            sni = sni == null ? List.of() : List.copyOf(sni);
        }

        /**
         * A TCP frontend that no server name routes to.
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
        public FrontendStatus(String name, String source, BindAddress bind, InetSocketAddress boundAddress,
                              ListenerState state, String error, long activeConnections,
                              long totalConnections, long bufferedBytes, List<BackendStatus> backends) {
            this(name, source, bind, boundAddress, state, error, activeConnections, totalConnections, bufferedBytes,
                    backends, Protocol.TCP, null, List.of());
        }
    }

    /**
     * What a UDP frontend's listeners counted since it opened. Datagrams and bytes are those
     * forwarded (payload only, without a PROXY header); a dropped datagram is counted once, under
     * the first reason that stopped it.
     *
     * @param datagramsFromClient datagrams sent on to a backend
     * @param datagramsToClient   datagrams of backends sent back to their client
     * @param bytesFromClient     payload bytes of {@code datagramsFromClient}
     * @param bytesToClient       payload bytes of {@code datagramsToClient}
     * @param droppedNoBackend    datagrams that would have opened a flow while no backend was usable
     * @param droppedFlowLimit    datagrams that would have opened a flow past the flow limit
     * @param droppedDenied       datagrams from a source the allow/deny lists refuse
     * @param droppedTooLarge     datagrams that did not fit one datagram with their PROXY header
     * @param droppedSendFailure  datagrams a socket did not take (full, failed, or its flow not yet connected)
     */
    public record UdpStatus(long datagramsFromClient, long datagramsToClient, long bytesFromClient,
                            long bytesToClient, long droppedNoBackend, long droppedFlowLimit, long droppedDenied,
                            long droppedTooLarge, long droppedSendFailure) {

        /** Nothing counted yet. */
        public static final UdpStatus ZERO = new UdpStatus(0, 0, 0, 0, 0, 0, 0, 0, 0);

        /**
         * The sum of two frontends' counters (one name listed twice while a moved bind drains).
         *
         * @param o the other counters, {@code null} for none
         * @return the sums, each counter added to its own
         */
        public UdpStatus plus(UdpStatus o) {
            return o == null ? this : new UdpStatus(datagramsFromClient + o.datagramsFromClient,
                    datagramsToClient + o.datagramsToClient, bytesFromClient + o.bytesFromClient,
                    bytesToClient + o.bytesToClient, droppedNoBackend + o.droppedNoBackend,
                    droppedFlowLimit + o.droppedFlowLimit, droppedDenied + o.droppedDenied,
                    droppedTooLarge + o.droppedTooLarge, droppedSendFailure + o.droppedSendFailure);
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

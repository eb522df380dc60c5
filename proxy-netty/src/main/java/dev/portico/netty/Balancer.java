package dev.portico.netty;

import dev.portico.api.Backend;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Picks a backend for a new connection. One instance serves one frontend and is called from every
 * I/O thread at once, so implementations are thread-safe and lock-free.
 *
 * <p>The engine's side of {@link dev.portico.api.BalancePolicy}, which is a closed set: a frontend
 * chooses a policy, not an implementation, so balancers are the engine's own ({@link Balancers#of}).
 */
interface Balancer {

    /**
     * Picks one backend; called for each connection attempt, a retry included.
     *
     * @param candidates the usable backends (healthy, not yet tried for this connection), never empty
     * @param client     the client's address
     * @return the index in {@code candidates} of the chosen backend, or -1 when every candidate has weight 0
     */
    int pick(List<? extends Candidate> candidates, InetSocketAddress client);

    /** What a balancer may know of a backend. */
    interface Candidate {
        /**
         * The backend as configured.
         *
         * @return its address and weight
         */
        Backend backend();

        /**
         * How busy the backend is, for least-connections balancing.
         *
         * @return connections open to it now, across all I/O threads
         */
        int activeConnections();
    }
}

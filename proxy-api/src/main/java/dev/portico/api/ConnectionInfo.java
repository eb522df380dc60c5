package dev.portico.api;

import java.net.InetSocketAddress;

/**
 * One client connection, as events see it.
 *
 * @param frontend the frontend's name
 * @param client   the client's address
 * @param backend  the backend it was forwarded to, {@code null} if none was reached
 * @param openedAt   {@link System#currentTimeMillis()} when it was accepted
 * @param serverName the TLS server name that routed it on a shared (SNI) bind, {@code null} otherwise
 */
public record ConnectionInfo(String frontend, InetSocketAddress client, Backend backend, long openedAt,
                             String serverName) {

    /**
     * A connection on a bind of its own, routed without a server name.
     *
     * @param frontend the frontend's name
     * @param client   the client's address
     * @param backend  the backend it was forwarded to, {@code null} if none was reached
     * @param openedAt {@link System#currentTimeMillis()} when it was accepted
     */
    public ConnectionInfo(String frontend, InetSocketAddress client, Backend backend, long openedAt) {
        this(frontend, client, backend, openedAt, null);
    }
}

package dev.portico.api;

import java.net.InetSocketAddress;

/**
 * Listener for what the engine and the sources do, for metrics and logs. Called on I/O threads:
 * implementations must be quick and must not block. Every method has an empty default.
 */
public interface ProxyEvents {

    ProxyEvents NONE = new ProxyEvents() {
    };

    /** A client connection has been connected to a backend. */
    default void onConnectionOpened(ConnectionInfo connection) {
    }

    /**
     * A client connection ended.
     *
     * @param bytesFromClient bytes read from the client (and sent to the backend)
     * @param bytesToClient   bytes read from the backend (and sent to the client)
     * @param durationMillis  how long it was open
     */
    default void onConnectionClosed(ConnectionInfo connection, long bytesFromClient, long bytesToClient,
                                    long durationMillis, CloseReason reason) {
    }

    /** A connect to a backend failed; another backend may be tried next. */
    default void onConnectFailed(String frontend, Backend backend, String reason) {
    }

    /** A backend went up or down. */
    default void onBackendHealthChanged(String frontend, Backend backend, boolean healthy, String reason) {
    }

    /** A listener could not be opened or was lost. */
    default void onListenerFailed(String frontend, BindAddress bind, String reason) {
    }

    /** A desired state was applied. */
    default void onConfigApplied(ApplyResult result) {
    }

    /** A source reported something it could not use. */
    default void onConfigRejected(SourceError error) {
    }

    /** Two frontends wanted one bind address. */
    default void onConflict(Conflict conflict) {
    }

    /** A client connection was refused before any backend was contacted. */
    default void onConnectionRefused(String frontend, InetSocketAddress client, String reason) {
    }
}

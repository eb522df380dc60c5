package dev.portico.api;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Listener for what the engine and the sources do, for metrics and logs. Called on I/O threads:
 * implementations must be quick and must not block. Every method has an empty default.
 */
public interface ProxyEvents {

    ProxyEvents NONE = new ProxyEvents() {
    };

    /**
     * One listener that hands each event to {@code listeners}, in order (a log, an access log,
     * metrics). A listener that throws keeps the event from none of the others; the first such
     * failure is logged through {@link System.Logger} (which an SLF4J bridge can route).
     */
    static ProxyEvents all(ProxyEvents... listeners) {
        AtomicBoolean reported = new AtomicBoolean();
        System.Logger log = System.getLogger(ProxyEvents.class.getName());
        return all(List.of(listeners), (listener, e) -> {
            if (reported.compareAndSet(false, true)) {
                log.log(System.Logger.Level.WARNING, "an event listener failed (reported once): "
                        + listener.getClass().getName(), e);
            }
        });
    }

    /**
     * As {@link #all(ProxyEvents...)}, with each listener's failure handed to {@code failures}
     * (on the thread of the event: it must be quick, as the listeners must).
     */
    static ProxyEvents all(List<ProxyEvents> listeners, BiConsumer<ProxyEvents, RuntimeException> failures) {
        return new AllEvents(List.copyOf(listeners), failures);
    }

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

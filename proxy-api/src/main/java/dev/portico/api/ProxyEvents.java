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

    /** A listener that ignores every event. */
    ProxyEvents NONE = new ProxyEvents() {
    };

    /**
     * One listener that hands each event to {@code listeners}, in order (a log, an access log,
     * metrics). A listener that throws keeps the event from none of the others; the first such
     * failure is logged through {@link System.Logger} (which an SLF4J bridge can route).
     *
     * @param listeners the listeners, called in this order
     * @return one listener for the engine and the coordinator
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
     *
     * @param listeners the listeners, called in this order
     * @param failures  receives the listener that threw and what it threw, for each failure
     * @return one listener for the engine and the coordinator
     */
    static ProxyEvents all(List<ProxyEvents> listeners, BiConsumer<ProxyEvents, RuntimeException> failures) {
        return new AllEvents(List.copyOf(listeners), failures);
    }

    /**
     * A client connection has been connected to a backend.
     *
     * @param connection the client, frontend and backend
     */
    default void onConnectionOpened(ConnectionInfo connection) {
    }

    /**
     * A client connection ended, whether or not it reached a backend.
     *
     * @param connection      the connection; its backend is {@code null} if none was reached
     * @param bytesFromClient bytes read from the client (and sent to the backend)
     * @param bytesToClient   bytes read from the backend (and sent to the client)
     * @param durationMillis  how long it was open
     * @param reason          which side or which limit ended it
     */
    default void onConnectionClosed(ConnectionInfo connection, long bytesFromClient, long bytesToClient,
                                    long durationMillis, CloseReason reason) {
    }

    /**
     * A connect to a backend failed; another backend may be tried next.
     *
     * @param frontend the frontend's name
     * @param backend  the backend that did not answer
     * @param reason   the OS's or the timeout's reason, for the log
     */
    default void onConnectFailed(String frontend, Backend backend, String reason) {
    }

    /**
     * A backend went up or down.
     *
     * @param frontend the frontend's name
     * @param backend  the backend
     * @param healthy  true if it takes new connections now, false if it went down
     * @param reason   what decided it (a probe, a failed connect), for the log
     */
    default void onBackendHealthChanged(String frontend, Backend backend, boolean healthy, String reason) {
    }

    /**
     * A listener could not be opened or was lost.
     *
     * @param frontend the frontend's name
     * @param bind     the address it should listen on
     * @param reason   why: address in use, permission denied, no such interface
     */
    default void onListenerFailed(String frontend, BindAddress bind, String reason) {
    }

    /**
     * A desired state was applied.
     *
     * @param result what changed; empty when nothing did
     */
    default void onConfigApplied(ApplyResult result) {
    }

    /**
     * A source reported something it could not use; what it published before keeps running.
     *
     * @param error what is wrong and where
     */
    default void onConfigRejected(SourceError error) {
    }

    /**
     * Two frontends wanted one bind address (or one server name on it); reported once while the
     * conflict lasts.
     *
     * @param conflict which frontend is served and which is not
     */
    default void onConflict(Conflict conflict) {
    }

    /**
     * A client connection was refused before any backend was contacted.
     *
     * @param frontend the frontend's name
     * @param client   the client's address
     * @param reason   the rule or limit that refused it, for the log
     */
    default void onConnectionRefused(String frontend, InetSocketAddress client, String reason) {
    }
}

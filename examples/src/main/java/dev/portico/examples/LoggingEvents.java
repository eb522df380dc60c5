package dev.portico.examples;

import dev.portico.api.ApplyResult;
import dev.portico.api.ApplyResult.Change;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.CloseReason;
import dev.portico.api.Conflict;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.LogSafe;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceError;
import java.net.InetSocketAddress;
import org.slf4j.Logger;

/**
 * Turns engine and source events into log lines an operator can act on: one INFO line per change
 * an apply made, WARN for a listener that cannot open and for conflicts, ERROR for configuration
 * that was rejected ({@code place: message}, as a compiler prints it). Connection-level events go
 * to the {@code conn} logger at DEBUG. Backend health changes are not repeated here: the engine
 * logs them itself. Every name and message from configuration or a peer is printed through
 * {@link LogSafe#escape}, so a control or bidi character in a name cannot forge or disguise a line.
 */
final class LoggingEvents implements ProxyEvents {

    private final Logger log;
    private final Logger conn = Logging.logger("conn");

    /** @param log where configuration messages go ({@code portico.router}, {@code portico.demo}) */
    LoggingEvents(Logger log) {
        this.log = log;
    }

    @Override
    public void onConfigApplied(ApplyResult result) {
        if (result.changes().isEmpty()) {
            log.debug("configuration applied: nothing changed");
        }
        for (Change c : result.changes()) {
            String fe = label(c.frontend(), c.bind());
            switch (c.kind()) {
                case LISTENER_OPENED -> log.info("frontend {}: listening on {}", fe, safe(address(c.detail())));
                case LISTENER_CLOSED -> log.info("frontend {}: stopped listening ({})", fe, safe(c.detail()));
                case BACKEND_ADDED -> log.info("frontend {}: backend {} added", fe, safe(c.detail()));
                case BACKEND_REMOVED -> log.info("frontend {}: backend {} removed", fe, safe(c.detail()));
                case BACKEND_UPDATED -> log.info("frontend {}: backend {} updated", fe, safe(c.detail()));
                case SETTINGS_CHANGED -> log.info("frontend {}: settings changed: {}", fe, safe(c.detail()));
                default -> log.info("{}", safe(c));
            }
        }
        // result.failures() were each reported through onListenerFailed already.
    }

    @Override
    public void onListenerFailed(String frontend, BindAddress bind, String reason) {
        log.warn("frontend {}: cannot listen on {}: {}", label(frontend, bind), safe(bind), safe(reason));
    }

    @Override
    public void onConfigRejected(SourceError error) {
        log.error("{}", describe(error));
    }

    /**
     * {@code place: message}, as a compiler prints it; only the message when the place is the
     * Kubernetes API URL, which its messages name themselves ("cannot reach the Kubernetes API at URL: ...").
     */
    static String describe(SourceError error) {
        return LogSafe.escape(error.place().contains("://") && error.message().contains(error.place())
                ? error.message() : error.toString());
    }

    @Override
    public void onConflict(Conflict conflict) {
        log.warn("conflict: {}", safe(conflict));
    }

    @Override
    public void onConnectionOpened(ConnectionInfo c) {
        if (conn.isDebugEnabled()) {
            conn.debug("frontend {}: {} connected to {}", safe(c.frontend()), address(String.valueOf(c.client())),
                    c.backend() == null ? "-" : safe(c.backend().address()));
        }
    }

    @Override
    public void onConnectionClosed(ConnectionInfo c, long bytesFromClient, long bytesToClient, long durationMillis,
                                   CloseReason reason) {
        if (conn.isDebugEnabled()) {
            conn.debug("frontend {}: {} closed ({}) after {} ms, {} bytes in, {} bytes out", safe(c.frontend()),
                    address(String.valueOf(c.client())), reason.name().toLowerCase(java.util.Locale.ROOT),
                    durationMillis, bytesFromClient, bytesToClient);
        }
    }

    @Override
    public void onConnectFailed(String frontend, Backend backend, String reason) {
        // A null backend means none was usable ("no healthy backend").
        if (conn.isDebugEnabled()) {
            conn.debug("frontend {}: connect to {} failed: {}", safe(frontend),
                    backend == null ? "-" : safe(backend.address()), safe(reason));
        }
    }

    @Override
    public void onConnectionRefused(String frontend, InetSocketAddress client, String reason) {
        if (conn.isDebugEnabled()) {
            conn.debug("frontend {}: refused {}: {}", safe(frontend), address(String.valueOf(client)), safe(reason));
        }
    }

    /** {@code web (:443)}, or just the bind when the frontend has no name of its own. */
    private static String label(String frontend, BindAddress bind) {
        String b = String.valueOf(bind);
        return safe(frontend.equals(b) ? b : frontend + " (" + b + ")");
    }

    private static String safe(Object value) {
        return LogSafe.escape(String.valueOf(value));
    }

    /** {@code InetSocketAddress.toString()} without the empty host-name part: {@code 127.0.0.1:1313}. */
    private static String address(String socketAddress) {
        return socketAddress.startsWith("/") ? socketAddress.substring(1) : socketAddress;
    }
}

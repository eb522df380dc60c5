package dev.portico.examples;

import dev.portico.api.ApplyResult;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.CloseReason;
import dev.portico.api.Conflict;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceError;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Hands each event to several listeners (log, access log, metrics) in order. A listener that
 * throws does not keep the event from the others, nor from the engine's I/O thread; the first
 * such failure is logged.
 */
final class FanOutEvents implements ProxyEvents {

    private final ProxyEvents[] listeners;
    private final Logger log;
    private final AtomicBoolean reported = new AtomicBoolean();

    FanOutEvents(Logger log, List<ProxyEvents> listeners) {
        this.log = log;
        this.listeners = listeners.toArray(ProxyEvents[]::new);
    }

    private void each(Consumer<ProxyEvents> call) {
        for (ProxyEvents l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    private void failed(ProxyEvents listener, RuntimeException e) {
        if (reported.compareAndSet(false, true)) {
            log.warn("an event listener failed (reported once): {}", listener.getClass().getName(), e);
        }
    }

    // The two per-connection events are plain loops: no lambda allocated per event.

    @Override
    public void onConnectionOpened(ConnectionInfo connection) {
        for (ProxyEvents l : listeners) {
            try {
                l.onConnectionOpened(connection);
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    @Override
    public void onConnectionClosed(ConnectionInfo connection, long bytesFromClient, long bytesToClient,
                                   long durationMillis, CloseReason reason) {
        for (ProxyEvents l : listeners) {
            try {
                l.onConnectionClosed(connection, bytesFromClient, bytesToClient, durationMillis, reason);
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    @Override
    public void onConnectFailed(String frontend, Backend backend, String reason) {
        each(l -> l.onConnectFailed(frontend, backend, reason));
    }

    @Override
    public void onBackendHealthChanged(String frontend, Backend backend, boolean healthy, String reason) {
        each(l -> l.onBackendHealthChanged(frontend, backend, healthy, reason));
    }

    @Override
    public void onListenerFailed(String frontend, BindAddress bind, String reason) {
        each(l -> l.onListenerFailed(frontend, bind, reason));
    }

    @Override
    public void onConfigApplied(ApplyResult result) {
        each(l -> l.onConfigApplied(result));
    }

    @Override
    public void onConfigRejected(SourceError error) {
        each(l -> l.onConfigRejected(error));
    }

    @Override
    public void onConflict(Conflict conflict) {
        each(l -> l.onConflict(conflict));
    }

    @Override
    public void onConnectionRefused(String frontend, InetSocketAddress client, String reason) {
        each(l -> l.onConnectionRefused(frontend, client, reason));
    }
}

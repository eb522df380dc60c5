package dev.portico.api;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * {@link ProxyEvents#all}: hands each event to several listeners in order. A listener that throws
 * keeps the event neither from the others nor from the engine's I/O thread; its exception goes to
 * the failure handler.
 */
final class AllEvents implements ProxyEvents {

    private final ProxyEvents[] listeners;
    private final BiConsumer<ProxyEvents, RuntimeException> failures;

    AllEvents(List<ProxyEvents> listeners, BiConsumer<ProxyEvents, RuntimeException> failures) {
        this.listeners = listeners.toArray(ProxyEvents[]::new);
        this.failures = failures;
    }

    private void each(Consumer<ProxyEvents> call) {
        for (ProxyEvents l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                failures.accept(l, e);
            }
        }
    }

    // The two per-connection events are plain loops: no lambda allocated per event.

    @Override
    public void onConnectionOpened(ConnectionInfo connection) {
        for (ProxyEvents l : listeners) {
            try {
                l.onConnectionOpened(connection);
            } catch (RuntimeException e) {
                failures.accept(l, e);
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
                failures.accept(l, e);
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

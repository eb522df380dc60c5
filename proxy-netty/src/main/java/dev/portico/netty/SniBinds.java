package dev.portico.netty;

import dev.portico.api.ApplyResult.Change;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.Frontend;
import dev.portico.api.Protocol;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The engine's bookkeeping for binds shared by server name, kept out of the engine's apply: which
 * TCP binds need a shared listener, handing a frontend's own socket over to one (and back), and the
 * routing table each shared listener publishes. Control thread only.
 */
final class SniBinds {

    private SniBinds() {
    }

    /**
     * Closes the shared listeners no longer wanted, creates the new ones (unbound: returned for the
     * caller to bind), and moves running frontends that join a new shared bind off their own socket
     * first, so the shared listener can take the port.
     */
    static List<SniListener> prepare(EngineContext ctx, Collection<Frontend> wanted, Map<String, FrontendRuntime> running,
                                     Map<String, SniListener> listeners, List<Change> changes) {
        Set<String> sharedBinds = new HashSet<>();
        Map<String, Frontend> firstByBind = new HashMap<>();
        for (Frontend f : wanted) {
            if (!f.sni().isEmpty()) {
                sharedBinds.add(f.bind().toString());
                firstByBind.putIfAbsent(f.bind().toString(), f);
            }
        }
        for (Iterator<Map.Entry<String, SniListener>> it = listeners.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!sharedBinds.contains(e.getKey())) {
                it.remove();
                e.getValue().close();
                changes.add(new Change(ChangeKind.LISTENER_CLOSED, e.getValue().label(), e.getValue().bindAddress(),
                        "no frontend with server names left on this bind"));
            }
        }
        List<SniListener> fresh = new ArrayList<>();
        for (String bind : sharedBinds) {
            if (!listeners.containsKey(bind)) {
                SniListener l = new SniListener(ctx, firstByBind.get(bind).bind());
                listeners.put(bind, l);
                fresh.add(l);
            }
        }
        for (Frontend f : wanted) {
            FrontendRuntime rt = running.get(NettyForwardingEngine.key(f));
            // Only the TCP catch-all moves: a UDP frontend on the same bind keeps its own socket.
            if (rt != null && rt.shared() == null && f.sni().isEmpty() && f.bind().port() != 0
                    && f.protocol() == Protocol.TCP && sharedBinds.contains(f.bind().toString())) {
                rt.share(listeners.get(f.bind().toString()));
            }
        }
        return fresh;
    }

    /**
     * Runs a bind that follows the close of another socket on the same port. NIO releases a closed
     * listening socket only at its selector's next wake-up, after the close has been reported, so
     * the port can still be taken for a moment: retried briefly (control thread, at most ~0.5 s).
     */
    static String afterHandOver(java.util.function.Supplier<String> bind) {
        String err = bind.get();
        // Matched in any case: NettyErrors rewrites the JDK's and the native transports' texts in plain words.
        for (int i = 0; i < 25 && err != null && err.toLowerCase(Locale.ROOT).contains("address already in use"); i++) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return err;
            }
            err = bind.get();
        }
        return err;
    }

    /** Gives every shared listener the routing table of the frontends it serves now. */
    static void publishRoutes(Collection<FrontendRuntime> running, Map<String, SniListener> listeners) {
        Map<SniListener, List<FrontendRuntime>> members = new HashMap<>();
        for (FrontendRuntime rt : running) {
            SniListener l = rt.shared();
            if (l != null) {
                members.computeIfAbsent(l, k -> new ArrayList<>()).add(rt);
            }
        }
        for (SniListener l : listeners.values()) {
            l.routes(SniRoutes.of(members.getOrDefault(l, List.of())));
        }
    }
}

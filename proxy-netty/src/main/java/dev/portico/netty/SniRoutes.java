package dev.portico.netty;

import dev.portico.api.ServerNames;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which frontend of a shared bind serves a server name: an exact name first, then the wildcard
 * for the name's parent (one label only), then the catch-all. Immutable: a new configuration
 * replaces the whole table, so a connection being routed sees one consistent version.
 */
final class SniRoutes {
    static final SniRoutes EMPTY = new SniRoutes(Map.of(), Map.of(), null);

    private final Map<String, FrontendRuntime> exact;
    // Keyed by the part after "*.".
    private final Map<String, FrontendRuntime> wildcard;
    private final FrontendRuntime catchAll;

    private SniRoutes(Map<String, FrontendRuntime> exact, Map<String, FrontendRuntime> wildcard,
                      FrontendRuntime catchAll) {
        this.exact = exact;
        this.wildcard = wildcard;
        this.catchAll = catchAll;
    }

    /** The table for the frontends on one bind; names are unique there (the merge saw to it). */
    static SniRoutes of(List<FrontendRuntime> members) {
        Map<String, FrontendRuntime> exact = new HashMap<>();
        Map<String, FrontendRuntime> wildcard = new HashMap<>();
        FrontendRuntime catchAll = null;
        for (FrontendRuntime rt : members) {
            List<String> names = rt.config().sni();
            if (names.isEmpty()) {
                catchAll = rt;
            }
            for (String n : names) {
                if (ServerNames.isWildcard(n)) {
                    wildcard.putIfAbsent(n.substring(2), rt);
                } else {
                    exact.putIfAbsent(n, rt);
                }
            }
        }
        return new SniRoutes(Map.copyOf(exact), Map.copyOf(wildcard), catchAll);
    }

    /** The frontend for a (lower-case) server name or {@code null} for none; {@code null} when nothing fits. */
    FrontendRuntime route(String serverName) {
        if (serverName != null) {
            FrontendRuntime rt = exact.get(serverName);
            if (rt != null) {
                return rt;
            }
            int dot = serverName.indexOf('.');
            if (dot > 0) {
                rt = wildcard.get(serverName.substring(dot + 1));
                if (rt != null) {
                    return rt;
                }
            }
        }
        return catchAll;
    }

    boolean isEmpty() {
        return exact.isEmpty() && wildcard.isEmpty() && catchAll == null;
    }
}

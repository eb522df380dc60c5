package dev.portico.netty;

import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.Protocol;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who may use a frontend and how many at once: its allow and deny lists (with the engine's
 * defaults), its trusted PROXY senders, its own connection limit and the engine-wide one. The
 * count includes connections still sending a PROXY header: they hold a socket too.
 */
final class Admission {
    private final ConnectionLimit global;
    private final List<Cidr> defaultAllow;
    private final List<Cidr> defaultDeny;
    private final AtomicInteger active = new AtomicInteger();
    private volatile AccessRules access;
    private volatile int max;

    Admission(EngineContext ctx, Frontend config) {
        this.global = ctx.connections();
        this.defaultAllow = ctx.defaultAllow();
        this.defaultDeny = ctx.defaultDeny();
        update(config);
    }

    /** Takes the lists and the limit of a new configuration; counted connections stay. Control thread. */
    void update(Frontend next) {
        access = AccessRules.of(next, defaultAllow, defaultDeny);
        // A UDP frontend always has a bound: a spoofed-source flood would otherwise open flows without end.
        max = next.maxConnections() == 0 && next.protocol() == Protocol.UDP
                ? UdpFrontendRuntime.DEFAULT_MAX_FLOWS : next.maxConnections();
    }

    /** Counts a new client against the limits; returns why it is refused, or {@code null}. */
    String acquire() {
        int limit = max;
        int now = active.incrementAndGet();
        if (limit > 0 && now > limit) {
            active.decrementAndGet();
            return "frontend connection limit of " + limit + " reached";
        }
        String full = global.acquire();
        if (full != null) {
            active.decrementAndGet();
        }
        return full;
    }

    /** Gives back what {@link #acquire()} counted. */
    void release() {
        active.decrementAndGet();
        global.release();
    }

    /** Admitted connections open now. */
    int active() {
        return active.get();
    }

    boolean trustedProxy(InetSocketAddress peer) {
        return access.trustedProxy(peer);
    }

    /** Why this client may not use the frontend, or {@code null} when it may. */
    String denied(InetSocketAddress client) {
        return access.denied(client);
    }
}

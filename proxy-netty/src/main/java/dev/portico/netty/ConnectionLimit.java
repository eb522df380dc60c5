package dev.portico.netty;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine-wide count of admitted client connections and its limit, shared by every frontend
 * through the {@link EngineContext}. On close it also tells the engine when the last connection
 * has ended, so the drain waits for counts, not for a poll.
 */
final class ConnectionLimit {
    private final int max;
    private final AtomicInteger active = new AtomicInteger();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;

    /** @param max the most connections open at once, 0 for no limit */
    ConnectionLimit(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Counts a client against the engine-wide limit; returns why it is refused, or {@code null}. */
    String acquire() {
        int now = active.incrementAndGet();
        if (max > 0 && now > max) {
            active.decrementAndGet();
            return "global connection limit of " + max + " reached";
        }
        return null;
    }

    void release() {
        active.decrementAndGet();
    }

    /** Called after a connection has given back its count and was reported: completes a drain. */
    void connectionEnded() {
        if (draining && active.get() == 0) {
            drained.complete(null);
        }
    }

    /** Starts draining: the future completes once no connection is counted any more. */
    CompletableFuture<Void> drain() {
        draining = true;
        if (active.get() == 0) {
            drained.complete(null);
        }
        return drained;
    }
}

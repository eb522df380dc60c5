package dev.portico.netty;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One frontend's side of {@link LoopGuard}: recognises an accepted connection that comes back
 * from this router, takes down the backend that sent it, and logs it at most once a minute (a
 * loop can bring thousands of connections a second; each is still an event and an access-log line).
 */
final class LoopRefusals {
    private static final Logger log = LoggerFactory.getLogger(FrontendRuntime.class);
    static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final LoopGuard guard;
    private final BackendPool pool;
    private final Supplier<String> bindLabel;
    private final AtomicLong loggedAt = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private final AtomicLong unlogged = new AtomicLong();

    LoopRefusals(LoopGuard guard, BackendPool pool, Supplier<String> bindLabel) {
        this.guard = guard;
        this.pool = pool;
        this.bindLabel = bindLabel;
    }

    /** Why the connection is refused as a loop, or {@code null}. An I/O thread of the accept. */
    String check(Channel client, InetSocketAddress remote, InetSocketAddress local) {
        LoopGuard.Outgoing o = guard.match(remote, local);
        if (o == null) {
            return null;
        }
        if (!o.loopsAt(pool)) {
            // A chain through another frontend of ours: its next hop must not come back either.
            client.attr(LoopGuard.CHAIN).set(o.through(pool));
            return null;
        }
        BackendPool origin = o.pool();
        String why = "a loop: backend " + o.backend().backend().address() + " of frontend " + origin.name()
                + " leads back to this router's listener " + bindLabel.get();
        // Down, so neither clients nor probes go round again.
        origin.loopDetected(o.backend(), why);
        long now = System.nanoTime();
        long last = loggedAt.get();
        if (now - last >= LOG_EVERY_NANOS && loggedAt.compareAndSet(last, now)) {
            long more = unlogged.getAndSet(0);
            log.warn("frontend {}: refused a connection from this router itself ({}): {}{}", pool.name(), remote,
                    why, more > 0 ? " (" + more + " more refused since the last report)" : "");
        } else {
            unlogged.incrementAndGet();
        }
        return why;
    }
}

package dev.portico.netty;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one log line per interval for a failure that repeats while its cause lasts (a listener
 * that cannot accept while descriptors are out), with a count of the lines left out, so the log
 * says what happened without drowning in it. Safe to call from any thread.
 */
final class LogLimiter {
    /** How often one listener may report the same local shortage. */
    static final long INTERVAL_SECONDS = 10;

    private final long intervalNanos;
    private final AtomicLong next;
    private final AtomicLong suppressed = new AtomicLong();

    LogLimiter(long interval, TimeUnit unit, long nowNanos) {
        this.intervalNanos = unit.toNanos(interval);
        this.next = new AtomicLong(nowNanos);
    }

    static LogLimiter standard() {
        return new LogLimiter(INTERVAL_SECONDS, TimeUnit.SECONDS, System.nanoTime());
    }

    /** How many lines were left out since the last one when this one may be logged, else -1. */
    long permit(long nowNanos) {
        long n = next.get();
        if (nowNanos - n < 0 || !next.compareAndSet(n, nowNanos + intervalNanos)) {
            suppressed.incrementAndGet();
            return -1;
        }
        return suppressed.getAndSet(0);
    }

    /** {@code ""}, or {@code " (N more since the last message)"}. */
    static String more(long suppressed) {
        return suppressed > 0 ? " (" + suppressed + " more since the last message)" : "";
    }
}

package dev.portico.netty;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A connection's idle timeout: it ends a connection that has neither read nor written a byte for
 * that long (Envoy's TCP proxy counts the same: bytes received, and bytes handed to the kernel).
 * Writes count because a slow reader drains what the proxy queued for it long after the last
 * read, and reading is paused meanwhile; a connection doing that is busy, not idle.
 *
 * <p>Reads stamp the time (no timer is moved per read batch). Writes the queue makes later, as
 * the reader takes them, are seen when the timer wakes, by the count of bytes written having
 * moved: they count as activity then, and while they go on the timer wakes every eighth of the
 * timeout, so a connection whose writes stop is ended at most an eighth late (a whole timeout
 * late when they stop before the first wake-up). The timeout is read at each wake-up, so an apply
 * that changes it reaches open connections. Used on the connection's event loop only.
 */
final class IdleTimer {
    private final EventLoop loop;
    private final Supplier<Duration> timeout;
    private final LongSupplier written;
    private final LongConsumer onIdle;
    private long lastActivityNanos = System.nanoTime();
    private long lastWritten;
    private ScheduledFuture<?> timer;
    private boolean stopped;

    /**
     * @param written bytes the connection has handed to its sockets so far, both directions
     * @param onIdle  called once with how long the connection was idle, in nanoseconds
     */
    IdleTimer(EventLoop loop, Supplier<Duration> timeout, LongSupplier written, LongConsumer onIdle) {
        this.loop = loop;
        this.timeout = timeout;
        this.written = written;
        this.onIdle = onIdle;
    }

    void start() {
        lastWritten = written.getAsLong();
        schedule(timeout.get().toNanos());
    }

    /** Bytes were read and what could be written at once was: the idle time starts again. */
    void activity() {
        lastActivityNanos = System.nanoTime();
        lastWritten = written.getAsLong();
    }

    void stop() {
        stopped = true;
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private void schedule(long delayNanos) {
        timer = loop.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        if (stopped) {
            return;
        }
        long limit = timeout.get().toNanos();
        long now = System.nanoTime();
        long w = written.getAsLong();
        if (w != lastWritten) {
            // Queued bytes went out since the last look, at an unknown moment: count them now.
            lastWritten = w;
            lastActivityNanos = now;
            schedule(Math.max(1, limit / 8));
            return;
        }
        long idle = now - lastActivityNanos;
        if (idle >= limit) {
            onIdle.accept(idle);
        } else {
            schedule(limit - idle);
        }
    }
}

package dev.portico.netty;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * A connection's idle timeout. Traffic only stamps the time (no timer is moved per read batch);
 * the timer wakes at the earliest moment the connection could be idle and, when there was traffic
 * since, sleeps again for the rest. The timeout is read at each wake-up, so an apply that changes
 * it reaches open connections. Used on the connection's event loop only.
 */
final class IdleTimer {
    private final EventLoop loop;
    private final Supplier<Duration> timeout;
    private final LongConsumer onIdle;
    private long lastActivityNanos = System.nanoTime();
    private ScheduledFuture<?> timer;
    private boolean stopped;

    /** @param onIdle called once with how long the connection was idle, in nanoseconds */
    IdleTimer(EventLoop loop, Supplier<Duration> timeout, LongConsumer onIdle) {
        this.loop = loop;
        this.timeout = timeout;
        this.onIdle = onIdle;
    }

    void start() {
        schedule(timeout.get().toNanos());
    }

    /** Bytes moved: the idle time starts again. */
    void activity() {
        lastActivityNanos = System.nanoTime();
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
        long idle = System.nanoTime() - lastActivityNanos;
        if (idle >= limit) {
            onIdle.accept(idle);
        } else {
            schedule(limit - idle);
        }
    }
}

package dev.portico.netty;

import dev.portico.api.HealthCheck;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Active TCP health checks of one frontend's backends, run as timers on one event loop (no
 * thread of its own). A probe is a connect within the probe timeout, closed at once with a reset
 * so probes leave no TIME_WAIT behind. All methods run on {@link #loop}.
 */
final class HealthChecker {
    private final BackendPool pool;
    private final EngineContext ctx;
    private final EventLoop loop;
    private final Map<BackendState, ScheduledFuture<?>> timers = new HashMap<>();
    private boolean stopped;

    HealthChecker(BackendPool pool, EngineContext ctx, EventLoop loop) {
        this.pool = pool;
        this.ctx = ctx;
        this.loop = loop;
    }

    /** Starts probing {@code b}: at once when {@code now}, else after a random part of the interval. */
    void add(BackendState b, boolean now) {
        loop.execute(() -> {
            HealthCheck hc = pool.health();
            if (stopped || !hc.enabled() || timers.containsKey(b)) {
                return;
            }
            long interval = hc.interval().toNanos();
            long first = now ? 0 : ThreadLocalRandom.current().nextLong(interval);
            timers.put(b, loop.scheduleWithFixedDelay(() -> probe(b), first, interval, TimeUnit.NANOSECONDS));
        });
    }

    void remove(BackendState b) {
        loop.execute(() -> {
            ScheduledFuture<?> t = timers.remove(b);
            if (t != null) {
                t.cancel(false);
            }
        });
    }

    /** Settings changed: restart every timer with the new interval (enabled or not). */
    void restart(Iterable<BackendState> backends) {
        loop.execute(() -> {
            timers.values().forEach(t -> t.cancel(false));
            timers.clear();
            for (BackendState b : backends) {
                add(b, false);
            }
        });
    }

    void stop() {
        loop.execute(() -> {
            stopped = true;
            timers.values().forEach(t -> t.cancel(false));
            timers.clear();
        });
    }

    private void probe(BackendState b) {
        HealthCheck hc = pool.health();
        Bootstrap boot = new Bootstrap()
                .group(loop)
                .channel(ctx.transport().socketChannelClass())
                .resolver(ctx.resolver())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, hc.timeout().toMillis()))
                .option(ChannelOption.SO_LINGER, 0)
                .handler(pool.outgoing(new ChannelInboundHandlerAdapter(), b, null));
        boot.connect(b.address()).addListener(f -> {
            if (f.isSuccess()) {
                ((ChannelFuture) f).channel().close();
            }
            if (!stopped && timers.containsKey(b)) {
                pool.probeResult(b, f.isSuccess(), f.isSuccess() ? null : NettyErrors.describe(f.cause()));
            }
        });
    }
}

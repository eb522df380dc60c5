package dev.portico.netty;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.portico.api.ApplyResult.Change;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.Backend;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.LogSafe;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frontend's backends: the set each apply asks for (diffed, so a kept backend keeps its health
 * and its connection count), their health (probes, failed connects, loops), and how a client gets
 * one (balancer, affinity). Changes happen on the engine's control thread or the probe loop; the
 * hot path reads the volatile settings and the immutable list of usable backends.
 */
final class BackendPool {
    // Log lines keep the logger they always had, so existing logging configurations still match.
    private static final Logger log = LoggerFactory.getLogger(FrontendRuntime.class);
    /** How long a backend found to loop stays down at least (a probe to a loop succeeds). */
    static final Duration LOOP_HOLD = Duration.ofSeconds(30);
    /** Client IPs remembered per frontend with affinity; older entries are evicted past this. */
    static final int AFFINITY_ENTRIES = 100_000;

    private final EngineContext ctx;
    // Probes and the hold timers of passively failed backends run here.
    private final EventLoop loop;
    private final HealthChecker health;
    private final LogLimiter shortageLog = LogLimiter.standard();
    private volatile Frontend config;
    private volatile Balancer balancer;
    // Keyed by host:port; replaced, never mutated, so readers see a consistent map.
    private volatile Map<String, BackendState> backends = Map.of();
    private volatile List<BackendState> usable = List.of();
    private volatile Cache<InetAddress, String> affinity;

    BackendPool(EngineContext ctx, Frontend config) {
        this.ctx = ctx;
        this.config = config;
        this.balancer = Balancers.of(config.balance());
        this.affinity = newAffinity(config.affinity());
        this.loop = ctx.group().next();
        this.health = new HealthChecker(this, ctx, loop);
        setBackends(config.backends());
    }

    String name() {
        return config.name();
    }

    private String logName() {
        return LogSafe.escape(config.name());
    }

    HealthCheck health() {
        return config.health();
    }

    Balancer balancer() {
        return balancer;
    }

    List<BackendState> usable() {
        return usable;
    }

    Collection<BackendState> all() {
        return backends.values();
    }

    /**
     * Applies a new configuration of the same frontend; returns the backends added, changed and
     * removed. Control thread.
     */
    List<Change> update(Frontend next) {
        Frontend prev = config;
        config = next;
        if (prev.balance() != next.balance()) {
            balancer = Balancers.of(next.balance());
        }
        if (!prev.affinity().equals(next.affinity())) {
            affinity = newAffinity(next.affinity());
        }
        List<Change> changes = new ArrayList<>();
        Map<String, BackendState> current = backends;
        for (Backend b : next.backends()) {
            BackendState s = current.get(b.address());
            if (s == null) {
                changes.add(new Change(ChangeKind.BACKEND_ADDED, next.name(), next.bind(), b.toString()));
            } else if (s.backend().weight() != b.weight()) {
                changes.add(new Change(ChangeKind.BACKEND_UPDATED, next.name(), next.bind(), b.toString()));
            }
        }
        for (BackendState s : current.values()) {
            if (next.backends().stream().noneMatch(b -> b.sameEndpoint(s.backend()))) {
                changes.add(new Change(ChangeKind.BACKEND_REMOVED, next.name(), next.bind(), s.backend().address()));
            }
        }
        setBackends(next.backends());
        if (!prev.health().equals(next.health())) {
            health.restart(backends.values());
        }
        return changes;
    }

    private void setBackends(List<Backend> wanted) {
        Map<String, BackendState> current = backends;
        Map<String, BackendState> next = new LinkedHashMap<>();
        List<BackendState> added = new ArrayList<>();
        for (Backend b : wanted) {
            BackendState s = current.get(b.address());
            if (s == null) {
                s = new BackendState(b, config.health().initiallyUp());
                added.add(s);
            } else {
                s.updateWeight(b);
            }
            next.put(b.address(), s);
        }
        for (Map.Entry<String, BackendState> e : current.entrySet()) {
            if (!next.containsKey(e.getKey())) {
                health.remove(e.getValue());
            }
        }
        backends = Map.copyOf(next);
        republish(next.values());
        // Probed only once they are published: a first probe that finished earlier would change
        // a backend that healthChanged does not know yet, and its "up" event would be lost.
        for (BackendState s : added) {
            health.add(s, true);
        }
    }

    private synchronized void republish(Iterable<BackendState> all) {
        List<BackendState> up = new ArrayList<>();
        for (BackendState s : all) {
            if (s.healthy() && s.backend().weight() > 0) {
                up.add(s);
            }
        }
        usable = List.copyOf(up);
    }

    /** Stops probing; the backends stay for the connections still open. Control thread. */
    void stop() {
        health.stop();
    }

    void probeResult(BackendState b, boolean ok, String error) {
        if (b.probeResult(ok, error, config.health())) {
            healthChanged(b, ok ? "health check passed" : "health check failed: " + error);
        }
    }

    /** The handler of an outgoing connection to {@code b}, marked if it may reach this machine. */
    ChannelHandler outgoing(ChannelHandler h, BackendState b, Channel client) {
        return ctx.loopGuard().wrap(h, this, b, client);
    }

    void loopDetected(BackendState b, String reason) {
        // At least three probe intervals, so a probe already in flight cannot bring it back.
        long hold = Math.max(LOOP_HOLD.toNanos(), config.health().interval().multipliedBy(3).toNanos());
        if (b.loopDetected(reason, hold)) {
            healthChanged(b, reason);
            if (!config.health().enabled()) {
                loop.schedule(() -> {
                    if (b.holdExpired()) {
                        healthChanged(b, "hold time after a loop expired");
                    }
                }, hold, TimeUnit.NANOSECONDS);
            }
        }
    }

    void connectFailed(BackendState b, String reason) {
        ctx.events().onConnectFailed(name(), b.backend(), reason);
        if (b.connectFailed(reason, config.health())) {
            healthChanged(b, "connect failed: " + reason);
            if (!config.health().enabled()) {
                // Without probes nothing would bring it back: give it another chance later.
                loop.schedule(() -> {
                    if (b.holdExpired()) {
                        healthChanged(b, "hold time after a failed connect expired");
                    }
                }, config.health().interval().toNanos(), TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * A backend connection could not be opened for a local reason (no descriptor, no memory): not
     * the backend's fault, so it stays up; logged at most once per interval while it lasts.
     */
    void cannotOpen(BackendState b, Throwable cause) {
        long more = shortageLog.permit(System.nanoTime());
        if (more >= 0) {
            log.warn("frontend {}: cannot open a connection to {}: {}{}", logName(),
                    LogSafe.escape(b.backend().address()), NettyErrors.describe(cause), LogLimiter.more(more));
        }
    }

    /** No backend could take {@code client}; {@code noneUsable} when none was even tried. */
    void noBackend(InetSocketAddress client, boolean noneUsable) {
        log.debug("frontend {}: no backend for {}", logName(), client);
        if (noneUsable) {
            ctx.events().onConnectFailed(name(), null, "no healthy backend");
        }
    }

    private void healthChanged(BackendState b, String reason) {
        if (!backends.containsValue(b)) {
            return;
        }
        republish(backends.values());
        boolean up = b.healthy();
        if (up) {
            log.info("frontend {}: backend {} is up ({})", logName(), LogSafe.escape(b.backend().address()),
                    LogSafe.escape(reason));
        } else {
            log.warn("frontend {}: backend {} is down ({})", logName(), LogSafe.escape(b.backend().address()),
                    LogSafe.escape(reason));
        }
        ctx.events().onBackendHealthChanged(name(), b.backend(), up, reason);
    }

    private static Cache<InetAddress, String> newAffinity(Duration timeout) {
        if (timeout.isZero()) {
            return null;
        }
        return Caffeine.newBuilder()
                .expireAfterAccess(timeout)
                .maximumSize(AFFINITY_ENTRIES)
                .build();
    }

    /** The backend this client IP used within the affinity timeout, if it is still usable. */
    BackendState affinityFor(InetSocketAddress client, List<BackendState> usable) {
        var cache = affinity;
        if (cache == null) {
            return null;
        }
        String address = cache.getIfPresent(client.getAddress());
        if (address == null) {
            return null;
        }
        for (BackendState b : usable) {
            if (b.backend().address().equals(address)) {
                return b;
            }
        }
        return null;
    }

    void remember(InetSocketAddress client, BackendState b) {
        var cache = affinity;
        if (cache != null) {
            cache.put(client.getAddress(), b.backend().address());
        }
    }

    List<EngineStatus.BackendStatus> status() {
        List<EngineStatus.BackendStatus> bs = new ArrayList<>();
        for (BackendState s : backends.values()) {
            bs.add(new EngineStatus.BackendStatus(s.backend(), s.healthy(), s.activeConnections(), s.lastError()));
        }
        return bs;
    }
}

package dev.portico.netty;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.portico.api.ApplyResult.Change;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.Backend;
import dev.portico.api.Balancer;
import dev.portico.api.BindAddress;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.LogSafe;
import dev.portico.api.Protocol;
import dev.portico.api.UnresolvableBindException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running frontend: its listener, its backends with their health, and its open connections.
 * Configuration changes and binds happen on the engine's control thread; the hot path reads the
 * volatile configuration and the immutable list of usable backends.
 */
final class FrontendRuntime {
    private static final Logger log = LoggerFactory.getLogger(FrontendRuntime.class);

    private final NettyForwardingEngine engine;
    private volatile Frontend config;
    private volatile Balancer balancer;
    // Keyed by host:port; replaced, never mutated, so readers see a consistent map.
    private volatile Map<String, BackendState> backends = Map.of();
    private volatile List<BackendState> usable = List.of();
    private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
    private final LongAdder total = new LongAdder();
    // Admitted client connections (including those still sending a PROXY header): the limit's count.
    private final AtomicInteger active = new AtomicInteger();
    private volatile AccessRules access;
    private volatile Cache<InetAddress, String> affinity;
    private final HealthChecker health;
    private final AcceptErrorHandler acceptErrors = new AcceptErrorHandler(this);
    private final LogLimiter shortageLog = LogLimiter.standard();
    // Control thread only (volatile for status readers).
    // One listening socket, or one per event loop with SO_REUSEPORT.
    private volatile List<Channel> servers = List.of();
    private volatile InetSocketAddress bound;
    private volatile EngineStatus.ListenerState state = EngineStatus.ListenerState.FAILED;
    private volatile String error = "not started";
    private final LoopRefusals loops = new LoopRefusals(this);
    // Set while this frontend is one of several on a bind shared by server name: that listener
    // accepts for it, and this runtime has no socket of its own.
    private volatile SniListener shared;
    // Null for a TCP frontend; the protocol never changes for a running frontend (it is in its key).
    private final UdpFrontendRuntime udp;
    /** How long a backend found to loop stays down at least (a probe to a loop succeeds). */
    static final Duration LOOP_HOLD = Duration.ofSeconds(30);

    FrontendRuntime(NettyForwardingEngine engine, Frontend config) {
        this.engine = engine;
        this.config = config;
        this.balancer = config.balance().newBalancer();
        this.access = AccessRules.of(config, engine.defaultAllow(), engine.defaultDeny());
        this.affinity = newAffinity(config.affinity());
        this.health = new HealthChecker(this, engine.group().next());
        this.udp = config.protocol() == Protocol.UDP ? new UdpFrontendRuntime(this) : null;
        setBackends(config.backends(), true);
    }

    NettyForwardingEngine engine() {
        return engine;
    }

    Frontend config() {
        return config;
    }

    String name() {
        return config.name();
    }

    /** The name as log lines print it: control and bidi characters escaped. */
    String logName() {
        return LogSafe.escape(config.name());
    }

    /** The listening sockets' handler for failed accepts. */
    AcceptErrorHandler acceptErrors() {
        return acceptErrors;
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

    Balancer balancer() {
        return balancer;
    }

    List<BackendState> usable() {
        return usable;
    }

    /** The socket address listened on, {@code null} while not listening. */
    InetSocketAddress boundAddress() {
        SniListener l = shared;
        return l != null ? l.bound() : bound;
    }

    EngineStatus.ListenerState state() {
        SniListener l = shared;
        return l != null ? l.state() : state;
    }

    SniListener shared() {
        return shared;
    }

    /** Hands this frontend's bind to a shared listener: its own socket closes, its connections go on. Control thread. */
    void share(SniListener listener) {
        List<Channel> old = servers;
        servers = List.of();
        bound = null;
        for (Channel c : old) {
            c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        state = EngineStatus.ListenerState.LISTENING;
        error = null;
        shared = listener;
    }

    /** The bind is no longer shared: listen on it alone again; returns the failure or {@code null}. Control thread. */
    String unshare() {
        shared = null;
        return bind();
    }

    boolean hasConnections() {
        return active.get() > 0 || !relays.isEmpty();
    }

    /** Binds the listener; returns the failure reason or {@code null}. Control thread. */
    String bind() {
        BindAddress b = config.bind();
        InetSocketAddress addr;
        try {
            addr = b.resolve();
        } catch (UnresolvableBindException e) {
            return failed(e.getMessage());
        }
        ListenerSockets.Bound sockets = ListenerSockets.open(engine, addr,
                (loops, target) -> udp != null ? udp.bind(loops, target) : engine.serverBootstrap(this, loops).bind(target));
        if (sockets.failure() != null) {
            return failed(sockets.failure());
        }
        List<Channel> opened = sockets.channels();
        List<Channel> old = servers;
        servers = List.copyOf(opened);
        bound = (InetSocketAddress) opened.get(0).localAddress();
        state = EngineStatus.ListenerState.LISTENING;
        error = null;
        old.forEach(Channel::close);
        return null;
    }

    private String failed(String reason) {
        boolean first = !reason.equals(error);
        state = EngineStatus.ListenerState.FAILED;
        error = reason;
        if (first) {
            // Reported through the event; the application decides how loud to be.
            log.debug("frontend {}: cannot listen on {}: {}", logName(), LogSafe.escape(String.valueOf(config.bind())),
                    LogSafe.escape(reason));
            engine.events().onListenerFailed(name(), config.bind(), reason);
        }
        return reason;
    }

    /**
     * Re-checks the bind: retries a failed listener and moves an interface listener whose address
     * changed. Returns a description of what moved, or {@code null}. Control thread.
     */
    String recheck() {
        if (shared != null || state == EngineStatus.ListenerState.DRAINING) {
            return null;
        }
        if (state == EngineStatus.ListenerState.FAILED) {
            return bind() == null ? "listening on " + bound : null;
        }
        if (config.bind().kind() != BindAddress.Kind.INTERFACE) {
            return null;
        }
        InetSocketAddress now;
        try {
            now = config.bind().resolve();
        } catch (UnresolvableBindException e) {
            // The interface went away or lost its address: the old socket is useless.
            List<Channel> old = servers;
            servers = List.of();
            bound = null;
            old.forEach(Channel::close);
            failed(e.getMessage());
            return null;
        }
        if (bound != null && now.getAddress().equals(bound.getAddress())) {
            return null;
        }
        InetSocketAddress before = bound;
        String err = bind();
        return err == null ? "moved from " + before + " to " + bound : null;
    }

    /** Applies a new configuration for the same bind; returns what changed. Control thread. */
    List<Change> update(Frontend next) {
        Frontend prev = config;
        if (prev.equals(next)) {
            return List.of();
        }
        List<Change> changes = new ArrayList<>();
        boolean settings = !prev.sameSettings(next) || !prev.name().equals(next.name());
        config = next;
        if (prev.balance() != next.balance()) {
            balancer = next.balance().newBalancer();
        }
        access = AccessRules.of(next, engine.defaultAllow(), engine.defaultDeny());
        if (!prev.affinity().equals(next.affinity())) {
            affinity = newAffinity(next.affinity());
        }
        if (settings) {
            changes.add(new Change(ChangeKind.SETTINGS_CHANGED, next.name(), next.bind(), describeSettings(next)));
        }
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
        setBackends(next.backends(), false);
        if (udp != null) {
            udp.keepOnly(backends.values());
        }
        if (!prev.health().equals(next.health())) {
            health.restart(backends.values());
        }
        return changes;
    }

    private static String describeSettings(Frontend f) {
        return "balance " + f.balance().configName() + ", connect timeout " + f.connectTimeout().toMillis()
                + " ms, idle timeout " + f.idleTimeout().toSeconds() + " s, health "
                + (f.health().enabled() ? "every " + f.health().interval().toMillis() + " ms" : "off");
    }

    private void setBackends(List<Backend> wanted, boolean initial) {
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

    void probeResult(BackendState b, boolean ok, String error) {
        if (b.probeResult(ok, error, config.health())) {
            healthChanged(b, ok ? "health check passed" : "health check failed: " + error);
        }
    }

    /** The handler of an outgoing connection to {@code b}, marked if it may reach this machine. */
    ChannelHandler outgoing(ChannelHandler h, BackendState b, Channel client) {
        return engine.loopGuard().wrap(h, this, b, client);
    }

    /**
     * Why an accepted connection is refused as a loop (it comes from one of this router's own
     * backend connections or probes that already passed through this frontend), or {@code null}.
     */
    String loopFrom(Channel client, InetSocketAddress remote, InetSocketAddress local) {
        return loops.check(client, remote, local);
    }

    /** The bind as written, and where it listens when that says more (a wildcard, an interface). */
    String bindLabel() {
        InetSocketAddress b = boundAddress();
        String where = b == null ? null : b.getAddress().getHostAddress() + ":" + b.getPort();
        String at = where == null || config.bind().toString().equals(where) ? "" : " on " + where;
        return config.name() + " (bind " + config.bind() + at + ")";
    }

    void loopDetected(BackendState b, String reason) {
        // At least three probe intervals, so a probe already in flight cannot bring it back.
        long hold = Math.max(LOOP_HOLD.toNanos(), config.health().interval().multipliedBy(3).toNanos());
        if (b.loopDetected(reason, hold)) {
            healthChanged(b, reason);
            if (!config.health().enabled()) {
                health.loop.schedule(() -> {
                    if (b.holdExpired()) {
                        healthChanged(b, "hold time after a loop expired");
                    }
                }, hold, TimeUnit.NANOSECONDS);
            }
        }
    }

    void connectFailed(BackendState b, String reason) {
        engine.events().onConnectFailed(name(), b.backend(), reason);
        if (b.connectFailed(reason, config.health())) {
            healthChanged(b, "connect failed: " + reason);
            if (!config.health().enabled()) {
                // Without probes nothing would bring it back: give it another chance later.
                health.loop.schedule(() -> {
                    if (b.holdExpired()) {
                        healthChanged(b, "hold time after a failed connect expired");
                    }
                }, config.health().interval().toNanos(), TimeUnit.NANOSECONDS);
            }
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
        engine.events().onBackendHealthChanged(name(), b.backend(), up, reason);
    }

    private static Cache<InetAddress, String> newAffinity(
            Duration timeout) {
        if (timeout.isZero()) {
            return null;
        }
        return Caffeine.newBuilder()
                .expireAfterAccess(timeout)
                .maximumSize(AFFINITY_ENTRIES)
                .build();
    }

    /** Client IPs remembered per frontend with affinity; older entries are evicted past this. */
    static final int AFFINITY_ENTRIES = 100_000;

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

    /** Counts a new client against the limits; returns why it is refused, or {@code null}. */
    String acquire() {
        int max = config.maxConnections();
        if (max == 0 && udp != null) {
            max = UdpFrontendRuntime.DEFAULT_MAX_FLOWS;
        }
        int now = active.incrementAndGet();
        if (max > 0 && now > max) {
            active.decrementAndGet();
            return "frontend connection limit of " + max + " reached";
        }
        String global = engine.acquireGlobal();
        if (global != null) {
            active.decrementAndGet();
        }
        return global;
    }

    boolean trustedProxy(InetSocketAddress peer) {
        return access.trustedProxy(peer);
    }

    /** Why this client may not use the frontend, or {@code null} when it may. */
    String denied(InetSocketAddress client) {
        return access.denied(client);
    }

    void refused(Relay r, String why) {
        log.debug("frontend {}: refused {}: {}", logName(), r.clientAddress(), LogSafe.escape(why));
        engine.events().onConnectionRefused(name(), r.clientAddress(), why);
    }

    void noBackend(Relay r, boolean noneUsable) {
        log.debug("frontend {}: no backend for {}", logName(), r.clientAddress());
        if (noneUsable) {
            engine.events().onConnectFailed(name(), null, "no healthy backend");
        }
    }

    void relayOpened(Relay r) {
        relays.add(r);
        total.increment();
    }

    void relayClosed(Relay r, CloseReason reason, long durationMillis) {
        relays.remove(r);
        if (r.admitted()) {
            active.decrementAndGet();
            engine.releaseGlobal();
        }
        engine.events().onConnectionClosed(r.info(), r.fromClient(), r.toClient(), durationMillis, reason);
        engine.relayClosed();
    }

    /** A UDP flow was admitted by {@link #acquire()} and opened. */
    void flowOpened() {
        total.increment();
    }

    void flowClosed(ConnectionInfo info, long fromClient, long toClient, long durationMillis, CloseReason reason) {
        active.decrementAndGet();
        engine.releaseGlobal();
        engine.events().onConnectionClosed(info, fromClient, toClient, durationMillis, reason);
        engine.relayClosed();
    }

    /** Stops accepting and probing; open connections go on until they end. Control thread. */
    void stopListening() {
        shared = null;
        state = EngineStatus.ListenerState.DRAINING;
        List<Channel> s = servers;
        servers = List.of();
        for (Channel c : s) {
            c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        health.stop();
    }

    /** Cuts every open connection (on each one's own event loop). */
    void cutAll() {
        for (Relay r : relays) {
            r.client.eventLoop().execute(() -> r.close(CloseReason.SHUTDOWN));
        }
    }

    EngineStatus.FrontendStatus status() {
        Frontend f = config;
        long buffered = 0;
        for (Relay r : relays) {
            buffered += r.bufferedBytes();
        }
        List<EngineStatus.BackendStatus> bs = new ArrayList<>();
        for (BackendState s : backends.values()) {
            bs.add(new EngineStatus.BackendStatus(s.backend(), s.healthy(), s.activeConnections(), s.lastError()));
        }
        SniListener l = shared;
        return new EngineStatus.FrontendStatus(f.name(), f.source(), f.bind(), boundAddress(), state(),
                l != null ? l.error() : error,
                active.get(), total.sum(), buffered, bs, f.sni());
    }
}

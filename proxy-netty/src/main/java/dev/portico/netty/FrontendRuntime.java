package dev.portico.netty;

import dev.portico.api.ApplyResult.Change;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.LogSafe;
import dev.portico.api.Protocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running frontend: its configuration, and the parts that each do one job with it (its
 * {@link FrontendListener}, its {@link BackendPool}, its {@link Admission}), plus the open
 * connections it answers for in status and on close. Configuration changes happen on the
 * engine's control thread; the hot path reads the volatile configuration.
 */
final class FrontendRuntime {
    private static final Logger log = LoggerFactory.getLogger(FrontendRuntime.class);

    private final EngineContext ctx;
    private volatile Frontend config;
    private final BackendPool pool;
    private final Admission admission;
    private final FrontendListener listener;
    private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
    private final LongAdder total = new LongAdder();
    private final AcceptErrorHandler acceptErrors = new AcceptErrorHandler(this);
    private final LoopRefusals loops;
    // Null for a TCP frontend; the protocol never changes for a running frontend (it is in its key).
    private final UdpFrontendRuntime udp;

    FrontendRuntime(EngineContext ctx, Frontend config) {
        this.ctx = ctx;
        this.config = config;
        this.admission = new Admission(ctx, config);
        this.pool = new BackendPool(ctx, config);
        this.udp = config.protocol() == Protocol.UDP ? new UdpFrontendRuntime(this) : null;
        this.listener = new FrontendListener(ctx, this::config, (loops, target) -> udp != null
                ? udp.bind(loops, target)
                : ctx.serverBootstrap(loops, acceptErrors, this::accept).bind(target));
        this.loops = new LoopRefusals(ctx.loopGuard(), pool, this::bindLabel);
    }

    EngineContext context() {
        return ctx;
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

    BackendPool pool() {
        return pool;
    }

    Admission admission() {
        return admission;
    }

    /** The socket address listened on, {@code null} while not listening. */
    InetSocketAddress boundAddress() {
        return listener.boundAddress();
    }

    SniListener shared() {
        return listener.shared();
    }

    /** Hands this frontend's bind to a shared listener: its own socket closes, its connections go on. Control thread. */
    void share(SniListener l) {
        listener.share(l);
    }

    /** The bind is no longer shared: listen on it alone again; returns the failure or {@code null}. Control thread. */
    String unshare() {
        return listener.unshare();
    }

    /** Binds the listener; returns the failure reason or {@code null}. Control thread. */
    String bind() {
        return listener.bind();
    }

    /** Retries a failed bind and follows an interface's address; returns what moved, or {@code null}. Control thread. */
    String recheck() {
        return listener.recheck();
    }

    boolean hasConnections() {
        return admission.active() > 0 || !relays.isEmpty();
    }

    /** Applies a new configuration for the same bind; returns what changed. Control thread. */
    List<Change> update(Frontend next) {
        Frontend prev = config;
        if (prev.equals(next)) {
            return List.of();
        }
        List<Change> changes = new ArrayList<>();
        config = next;
        admission.update(next);
        if (!prev.sameSettings(next) || !prev.name().equals(next.name())) {
            changes.add(new Change(ChangeKind.SETTINGS_CHANGED, next.name(), next.bind(), describeSettings(next)));
        }
        changes.addAll(pool.update(next));
        if (udp != null) {
            udp.keepOnly(pool.all());
        }
        return changes;
    }

    private static String describeSettings(Frontend f) {
        return "balance " + f.balance().configName() + ", connect timeout " + f.connectTimeout().toMillis()
                + " ms, idle timeout " + f.idleTimeout().toSeconds() + " s, health "
                + (f.health().enabled() ? "every " + f.health().interval().toMillis() + " ms" : "off");
    }

    /** Sets up a channel this frontend's own listener accepted: the admission first, then the relay. */
    private void accept(Channel ch) {
        Relay relay = new Relay(this, ch);
        ch.pipeline().addLast(new AdmissionHandler(this, relay), new RelayHandler(relay, true));
    }

    /**
     * Takes over a connection a shared listener has routed here by the server name in its
     * ClientHello: {@code router} makes way for the relay, whose admission runs at once (the
     * channel is already active), and the hello bytes go to the backend first.
     */
    void acceptRouted(ChannelPipeline pipeline, ChannelHandler router, String serverName, ByteBuf hello) {
        Relay relay = new Relay(this, pipeline.channel());
        AdmissionHandler admission = new AdmissionHandler(this, relay);
        pipeline.replace(router, null, new RelayHandler(relay, true));
        pipeline.addFirst(admission);
        relay.routed(serverName, hello);
        admission.admit(pipeline.context(admission));
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

    // The UDP side's view of the parts (the TCP relay goes to them directly).

    List<BackendState> usable() {
        return pool.usable();
    }

    Balancer balancer() {
        return pool.balancer();
    }

    BackendState affinityFor(InetSocketAddress client, List<BackendState> usable) {
        return pool.affinityFor(client, usable);
    }

    void remember(InetSocketAddress client, BackendState b) {
        pool.remember(client, b);
    }

    void connectFailed(BackendState b, String reason) {
        pool.connectFailed(b, reason);
    }

    void cannotOpen(BackendState b, Throwable cause) {
        pool.cannotOpen(b, cause);
    }

    String acquire() {
        return admission.acquire();
    }

    String denied(InetSocketAddress client) {
        return admission.denied(client);
    }

    // Open connections.

    void refused(InetSocketAddress client, String why) {
        log.debug("frontend {}: refused {}: {}", logName(), client, LogSafe.escape(why));
        ctx.events().onConnectionRefused(name(), client, why);
    }

    void relayOpened(Relay r) {
        relays.add(r);
        total.increment();
    }

    void relayClosed(Relay r, CloseReason reason, long durationMillis, boolean counted) {
        relays.remove(r);
        if (counted) {
            admission.release();
        }
        ctx.events().onConnectionClosed(r.info(), r.fromClient(), r.toClient(), durationMillis, reason);
        ctx.connections().connectionEnded();
    }

    /** A UDP flow was admitted by {@link #acquire()} and opened. */
    void flowOpened() {
        total.increment();
    }

    void flowClosed(ConnectionInfo info, long fromClient, long toClient, long durationMillis, CloseReason reason) {
        admission.release();
        ctx.events().onConnectionClosed(info, fromClient, toClient, durationMillis, reason);
        ctx.connections().connectionEnded();
    }

    /** Stops accepting and probing; open connections go on until they end. Control thread. */
    void stopListening() {
        listener.stop();
        pool.stop();
    }

    /** Cuts every open connection (on each one's own event loop). */
    void cutAll() {
        for (Relay r : relays) {
            r.cut();
        }
    }

    EngineStatus.FrontendStatus status() {
        Frontend f = config;
        long buffered = 0;
        for (Relay r : relays) {
            buffered += r.bufferedBytes();
        }
        return new EngineStatus.FrontendStatus(f.name(), f.source(), f.bind(), boundAddress(), listener.state(),
                listener.error(), admission.active(), total.sum(), buffered, pool.status(), f.protocol(),
                udp != null ? udp.status() : null, f.sni());
    }
}

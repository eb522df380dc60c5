package dev.portico.netty;

import dev.portico.api.BindAddress;
import dev.portico.api.EngineStatus;
import dev.portico.api.LogSafe;
import dev.portico.api.UnresolvableBindException;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one listener of a bind that several frontends share by TLS server name: every accepted
 * connection first goes through a {@link SniRouter}, which reads the ClientHello and hands the
 * connection to the frontend the {@link SniRoutes} name. The frontends keep all their own settings;
 * only the socket is shared. Binds happen on the engine's control thread; the routing table is
 * replaced whole, so routing never sees half a change and open connections are never touched.
 */
final class SniListener {
    private static final Logger log = LoggerFactory.getLogger(SniListener.class);

    private final EngineContext ctx;
    private final BindAddress bind;
    private final AcceptErrorHandler acceptErrors;
    private volatile SniRoutes routes = SniRoutes.EMPTY;
    private volatile List<Channel> servers = List.of();
    private volatile InetSocketAddress bound;
    private volatile EngineStatus.ListenerState state = EngineStatus.ListenerState.FAILED;
    private volatile String error = "not started";
    private final LongAdder unrouted = new LongAdder();

    SniListener(EngineContext ctx, BindAddress bind) {
        this.ctx = ctx;
        this.bind = bind;
        this.acceptErrors = new AcceptErrorHandler(this::label);
    }

    EngineContext context() {
        return ctx;
    }

    BindAddress bindAddress() {
        return bind;
    }

    /** How connections on this bind are known in logs and events that belong to no one frontend. */
    String label() {
        return "sni " + LogSafe.escape(bind.toString());
    }

    SniRoutes routes() {
        return routes;
    }

    void routes(SniRoutes next) {
        routes = next;
    }

    InetSocketAddress bound() {
        return bound;
    }

    EngineStatus.ListenerState state() {
        return state;
    }

    String error() {
        return error;
    }

    /** Connections closed because their ClientHello was bad, late, too large, or named no frontend. */
    long unrouted() {
        return unrouted.sum();
    }

    /** A connection that reached no frontend: counted, reported, closed by the caller. */
    void refused(Channel ch, String why) {
        unrouted.increment();
        InetSocketAddress peer = (InetSocketAddress) ch.remoteAddress();
        log.debug("{}: refused {}: {}", label(), peer, LogSafe.escape(why));
        ctx.events().onConnectionRefused(label(), peer, why);
    }

    /** Binds the listener; returns the failure reason or {@code null}. Control thread. */
    String bind() {
        InetSocketAddress addr;
        try {
            addr = bind.resolve();
        } catch (UnresolvableBindException e) {
            return failed(e.getMessage());
        }
        ListenerSockets.Bound sockets = ListenerSockets.open(ctx, addr, (loops, target) -> ctx.serverBootstrap(
                loops, acceptErrors, ch -> ch.pipeline().addLast(new SniRouter(this))).bind(target));
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
        if (!reason.equals(error)) {
            log.debug("{}: cannot listen: {}", label(), LogSafe.escape(reason));
            ctx.events().onListenerFailed(label(), bind, reason);
        }
        state = EngineStatus.ListenerState.FAILED;
        error = reason;
        return reason;
    }

    /** Retries a failed bind and follows an interface's address; returns what moved, or {@code null}. */
    String recheck() {
        if (state == EngineStatus.ListenerState.FAILED) {
            return bind() == null ? "listening on " + bound : null;
        }
        if (bind.kind() != BindAddress.Kind.INTERFACE) {
            return null;
        }
        InetSocketAddress now;
        try {
            now = bind.resolve();
        } catch (UnresolvableBindException e) {
            close();
            failed(e.getMessage());
            return null;
        }
        if (bound != null && now.getAddress().equals(bound.getAddress())) {
            return null;
        }
        InetSocketAddress before = bound;
        return bind() == null ? "moved from " + before + " to " + bound : null;
    }

    /** Stops accepting; connections already handed to frontends go on. Control thread. */
    void close() {
        List<Channel> s = servers;
        servers = List.of();
        bound = null;
        state = EngineStatus.ListenerState.DRAINING;
        for (Channel c : s) {
            c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}

package dev.portico.netty;

import dev.portico.api.BindAddress;
import dev.portico.api.EngineStatus;
import dev.portico.api.LogSafe;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
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
    private final BoundSockets sockets;
    private final LongAdder unrouted = new LongAdder();

    SniListener(EngineContext ctx, BindAddress bind) {
        this.ctx = ctx;
        this.bind = bind;
        this.acceptErrors = new AcceptErrorHandler(this::label);
        this.sockets = new BoundSockets(ctx, false, (loops, target) -> ctx.serverBootstrap(
                loops, acceptErrors, ch -> ch.pipeline().addLast(new SniRouter(this))).bind(target), this::reportFailure);
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
        return sockets.bound();
    }

    EngineStatus.ListenerState state() {
        return sockets.state();
    }

    String error() {
        return sockets.error();
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
        return sockets.bind(bind);
    }

    private void reportFailure(String reason) {
        log.debug("{}: cannot listen: {}", label(), LogSafe.escape(reason));
        ctx.events().onListenerFailed(label(), bind, reason);
    }

    /** Retries a failed bind and follows an interface's address; returns what moved, or {@code null}. */
    String recheck() {
        return sockets.recheck(bind);
    }

    /** Stops accepting; connections already handed to frontends go on. Control thread. */
    void close() {
        sockets.drain(true);
    }
}

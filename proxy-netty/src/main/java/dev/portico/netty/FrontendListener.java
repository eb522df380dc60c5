package dev.portico.netty;

import dev.portico.api.EngineStatus.ListenerState;
import dev.portico.api.Frontend;
import dev.portico.api.Protocol;
import dev.portico.api.LogSafe;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frontend's listening sockets: bound on apply, retried while they cannot bind, moved when an
 * interface's address changes, handed to a listener shared by server name and taken back, closed
 * when the frontend drains. Every change runs on the engine's control thread; the fields are
 * volatile for status readers.
 */
final class FrontendListener {
    // Log lines keep the logger they always had, so existing logging configurations still match.
    private static final Logger log = LoggerFactory.getLogger(FrontendRuntime.class);

    private final EngineContext ctx;
    private final Supplier<Frontend> config;
    private final BoundSockets sockets;
    // Set while the frontend is one of several on a bind shared by server name: that listener
    // accepts for it, and this one has no socket of its own.
    private volatile SniListener shared;

    /**
     * @param config  the frontend's current configuration (its bind never changes)
     * @param bindOne binds one socket of the frontend's protocol on an acceptor group
     */
    FrontendListener(EngineContext ctx, Supplier<Frontend> config,
                     BiFunction<EventLoopGroup, InetSocketAddress, ChannelFuture> bindOne) {
        this.ctx = ctx;
        this.config = config;
        this.sockets = new BoundSockets(ctx, config.get().protocol() == Protocol.UDP, bindOne, this::reportFailure);
    }

    /** The socket address listened on, {@code null} while not listening. */
    InetSocketAddress boundAddress() {
        SniListener l = shared;
        return l != null ? l.bound() : sockets.bound();
    }

    ListenerState state() {
        SniListener l = shared;
        return l != null ? l.state() : sockets.state();
    }

    /** Why the listener does not listen, {@code null} while it does. */
    String error() {
        SniListener l = shared;
        return l != null ? l.error() : sockets.error();
    }

    SniListener shared() {
        return shared;
    }

    /** Hands the bind to a shared listener: the own socket closes, accepted connections go on. */
    void share(SniListener listener) {
        sockets.handOver();
        shared = listener;
    }

    /** The bind is no longer shared: listen on it alone again; returns the failure or {@code null}. */
    String unshare() {
        shared = null;
        return bind();
    }

    /** Binds the listener; returns the failure reason or {@code null}. */
    String bind() {
        return sockets.bind(config.get().bind());
    }

    private void reportFailure(String reason) {
        Frontend f = config.get();
        // Reported through the event; the application decides how loud to be.
        log.debug("frontend {}: cannot listen on {}: {}", LogSafe.escape(f.name()),
                LogSafe.escape(String.valueOf(f.bind())), LogSafe.escape(reason));
        ctx.events().onListenerFailed(f.name(), f.bind(), reason);
    }

    /**
     * Re-checks the bind: retries a failed listener and moves an interface listener whose address
     * changed. Returns a description of what moved, or {@code null}.
     */
    String recheck() {
        if (shared != null || sockets.state() == ListenerState.DRAINING) {
            return null;
        }
        return sockets.recheck(config.get().bind());
    }

    /** Stops accepting for good (the frontend drains). */
    void stop() {
        shared = null;
        sockets.drain(false);
    }
}

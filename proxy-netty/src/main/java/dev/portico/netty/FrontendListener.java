package dev.portico.netty;

import dev.portico.api.BindAddress;
import dev.portico.api.EngineStatus.ListenerState;
import dev.portico.api.Frontend;
import dev.portico.api.LogSafe;
import dev.portico.api.UnresolvableBindException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    private final BiFunction<EventLoopGroup, InetSocketAddress, ChannelFuture> bindOne;
    // One listening socket, or one per event loop with SO_REUSEPORT.
    private volatile List<Channel> servers = List.of();
    private volatile InetSocketAddress bound;
    private volatile ListenerState state = ListenerState.FAILED;
    private volatile String error = "not started";
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
        this.bindOne = bindOne;
    }

    /** The socket address listened on, {@code null} while not listening. */
    InetSocketAddress boundAddress() {
        SniListener l = shared;
        return l != null ? l.bound() : bound;
    }

    ListenerState state() {
        SniListener l = shared;
        return l != null ? l.state() : state;
    }

    /** Why the listener does not listen, {@code null} while it does. */
    String error() {
        SniListener l = shared;
        return l != null ? l.error() : error;
    }

    SniListener shared() {
        return shared;
    }

    /** Hands the bind to a shared listener: the own socket closes, accepted connections go on. */
    void share(SniListener listener) {
        List<Channel> old = servers;
        servers = List.of();
        bound = null;
        for (Channel c : old) {
            c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        state = ListenerState.LISTENING;
        error = null;
        shared = listener;
    }

    /** The bind is no longer shared: listen on it alone again; returns the failure or {@code null}. */
    String unshare() {
        shared = null;
        return bind();
    }

    /** Binds the listener; returns the failure reason or {@code null}. */
    String bind() {
        BindAddress b = config.get().bind();
        InetSocketAddress addr;
        try {
            addr = b.resolve();
        } catch (UnresolvableBindException e) {
            return failed(e.getMessage());
        }
        ListenerSockets.Bound sockets = ListenerSockets.open(ctx, addr, bindOne);
        if (sockets.failure() != null) {
            return failed(sockets.failure());
        }
        List<Channel> opened = sockets.channels();
        List<Channel> old = servers;
        servers = List.copyOf(opened);
        bound = (InetSocketAddress) opened.get(0).localAddress();
        state = ListenerState.LISTENING;
        error = null;
        old.forEach(Channel::close);
        return null;
    }

    private String failed(String reason) {
        boolean first = !reason.equals(error);
        state = ListenerState.FAILED;
        error = reason;
        if (first) {
            Frontend f = config.get();
            // Reported through the event; the application decides how loud to be.
            log.debug("frontend {}: cannot listen on {}: {}", LogSafe.escape(f.name()),
                    LogSafe.escape(String.valueOf(f.bind())), LogSafe.escape(reason));
            ctx.events().onListenerFailed(f.name(), f.bind(), reason);
        }
        return reason;
    }

    /**
     * Re-checks the bind: retries a failed listener and moves an interface listener whose address
     * changed. Returns a description of what moved, or {@code null}.
     */
    String recheck() {
        if (shared != null || state == ListenerState.DRAINING) {
            return null;
        }
        if (state == ListenerState.FAILED) {
            return bind() == null ? "listening on " + bound : null;
        }
        BindAddress b = config.get().bind();
        if (b.kind() != BindAddress.Kind.INTERFACE) {
            return null;
        }
        InetSocketAddress now;
        try {
            now = b.resolve();
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

    /** Stops accepting for good (the frontend drains). */
    void stop() {
        shared = null;
        state = ListenerState.DRAINING;
        List<Channel> s = servers;
        servers = List.of();
        for (Channel c : s) {
            c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}

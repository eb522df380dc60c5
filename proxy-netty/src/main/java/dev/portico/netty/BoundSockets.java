package dev.portico.netty;

import dev.portico.api.BindAddress;
import dev.portico.api.EngineStatus.ListenerState;
import dev.portico.api.UnresolvableBindException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The listening sockets of one bind (one, or one per event loop with SO_REUSEPORT) and whether they
 * listen: what a frontend's own listener and a listener shared by server name both keep, bound,
 * retried and moved the same way. Changed on the engine's control thread only; the fields are
 * volatile for status readers.
 */
final class BoundSockets {
    private final EngineContext ctx;
    private final BiFunction<EventLoopGroup, InetSocketAddress, ChannelFuture> bindOne;
    private final boolean udp;
    private final Consumer<String> newFailure;
    private volatile List<Channel> servers = List.of();
    private volatile InetSocketAddress bound;
    private volatile ListenerState state = ListenerState.FAILED;
    private volatile String error = "not started";
    // The TCP port registered with the loop guard while the sockets listen, -1 when none.
    private int guardedPort = -1;

    /**
     * @param udp        whether the sockets are UDP (else TCP listeners)
     * @param bindOne    binds one socket on an acceptor group
     * @param newFailure told each failure reason that differs from the last one, to report it once
     */
    BoundSockets(EngineContext ctx, boolean udp, BiFunction<EventLoopGroup, InetSocketAddress, ChannelFuture> bindOne,
                 Consumer<String> newFailure) {
        this.ctx = ctx;
        this.udp = udp;
        this.bindOne = bindOne;
        this.newFailure = newFailure;
    }

    /** The socket address listened on, {@code null} while not listening. */
    InetSocketAddress bound() {
        return bound;
    }

    ListenerState state() {
        return state;
    }

    /** Why the sockets do not listen, {@code null} while they do. */
    String error() {
        return error;
    }

    /** Binds {@code bind} anew, closing the old sockets once the new ones listen; returns the failure or {@code null}. */
    String bind(BindAddress bind) {
        InetSocketAddress addr;
        try {
            addr = bind.resolve();
        } catch (UnresolvableBindException e) {
            return failed(e.getMessage());
        }
        // The loop guard learns a TCP port before its sockets accept: a connection accepted before
        // then, going round to this port, would not be recognised, nor would any hop after it,
        // for as long as this thread took to get here (many hops on a busy machine).
        int early = !udp && addr.getPort() != 0 ? addr.getPort() : -1;
        if (early >= 0) {
            ctx.loopGuard().listening(early);
        }
        ListenerSockets.Bound sockets = ListenerSockets.open(ctx, addr, udp, bindOne);
        if (sockets.failure() != null) {
            if (early >= 0) {
                ctx.loopGuard().notListening(early);
            }
            return failed(sockets.failure());
        }
        List<Channel> opened = sockets.channels();
        List<Channel> old = servers;
        servers = List.copyOf(opened);
        bound = (InetSocketAddress) opened.get(0).localAddress();
        state = ListenerState.LISTENING;
        error = null;
        if (!udp) {
            if (early < 0) {
                // An ephemeral port, known only now.
                ctx.loopGuard().listening(bound.getPort());
            }
            unguard();
            guardedPort = bound.getPort();
        }
        old.forEach(Channel::close);
        return null;
    }

    /**
     * Retries a failed bind and follows an interface's address. Returns a description of what
     * moved, or {@code null}.
     */
    String recheck(BindAddress bind) {
        if (state == ListenerState.FAILED) {
            return bind(bind) == null ? "listening on " + bound : null;
        }
        if (bind.kind() != BindAddress.Kind.INTERFACE) {
            return null;
        }
        InetSocketAddress now;
        try {
            now = bind.resolve();
        } catch (UnresolvableBindException e) {
            // The interface went away or lost its address: the old sockets are useless.
            close(true);
            failed(e.getMessage());
            return null;
        }
        if (bound != null && now.getAddress().equals(bound.getAddress())) {
            return null;
        }
        InetSocketAddress before = bound;
        return bind(bind) == null ? "moved from " + before + " to " + bound : null;
    }

    /** The sockets do not listen for {@code reason}; returns it. */
    String failed(String reason) {
        if (!reason.equals(error)) {
            newFailure.accept(reason);
        }
        state = ListenerState.FAILED;
        error = reason;
        return reason;
    }

    /** Another listener accepts on this bind now: the own sockets close, and nothing is failing. */
    void handOver() {
        close(true);
        state = ListenerState.LISTENING;
        error = null;
    }

    /** Stops accepting for good: what was accepted goes on. See {@link #close} for {@code forgetAddress}. */
    void drain(boolean forgetAddress) {
        state = ListenerState.DRAINING;
        close(forgetAddress);
    }

    /**
     * Closes the sockets and waits a bounded time for each to close.
     *
     * @param forgetAddress whether {@link #bound()} is cleared too (a draining listener still shows where it was)
     */
    void close(boolean forgetAddress) {
        List<Channel> old = servers;
        servers = List.of();
        unguard();
        if (forgetAddress) {
            bound = null;
        }
        for (Channel c : old) {
            c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private void unguard() {
        if (guardedPort >= 0) {
            ctx.loopGuard().notListening(guardedPort);
            guardedPort = -1;
        }
    }
}

package dev.portico.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.AttributeKey;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches the loops configuration cannot see (a host name that resolves to this machine, a
 * backend reached through NAT, an interface address that moved): it remembers the local address
 * of every outgoing connection (backend or probe) whose destination is this machine, and an
 * accepted connection coming from one of them is the router talking to itself. That is allowed
 * as a chain (frontend A forwards to frontend B, which forwards elsewhere) and refused when the
 * connection arrives at a frontend it already passed through: each tracked connection carries the
 * frontends it went through, handed on from hop to hop on the accepted channel. Only connections
 * to a port this engine listens on (TCP) and to a local address are tracked: an accepted connection
 * is matched only when the port it came to is the one the outgoing connection went to, so no other
 * connection can close a loop. A backend on another port (a local service such as a web server on
 * 127.0.0.1, or any remote backend) costs one lookup at connect time and nothing after (a host
 * name backend on one of our ports: a pipeline handler that removes itself at connect); the
 * accept path reads the map, which is empty unless some backend is one of our own listeners.
 * A listener bound between that lookup and the connect call lets at most one extra hop through
 * before the next one is recognised.
 */
final class LoopGuard {
    private static final Logger log = LoggerFactory.getLogger(LoopGuard.class);
    /**
     * How long an entry outlives its connection: a probe closes as soon as it connects, possibly
     * before the listener has accepted it, and the accept must still recognise it.
     */
    static final long LINGER_MILLIS = 5_000;

    /**
     * The frontends (each by its backend pool) a connection accepted from one of our own passed
     * through, this one last.
     */
    static final AttributeKey<List<BackendPool>> CHAIN = AttributeKey.valueOf("portico.loop.chain");

    /**
     * An outgoing connection to this machine: who opened it, to where, and the frontends it went
     * through ({@code pool} last).
     */
    record Outgoing(BackendPool pool, BackendState backend, InetSocketAddress destination,
                    List<BackendPool> chain) {
        /** Whether arriving at {@code at} closes a cycle. */
        boolean loopsAt(BackendPool at) {
            return chain.contains(at);
        }

        /** The chain of a connection accepted at {@code at}. */
        List<BackendPool> through(BackendPool at) {
            List<BackendPool> next = new ArrayList<>(chain.size() + 1);
            next.addAll(chain);
            next.add(at);
            return List.copyOf(next);
        }
    }

    // Keyed by the outgoing connection's local address, which is the accepted one's remote address.
    private final ConcurrentHashMap<InetSocketAddress, Outgoing> outgoing = new ConcurrentHashMap<>();
    // This machine's interface addresses, re-read on the control thread; loopback and wildcard
    // addresses are recognised without it.
    private volatile Set<InetAddress> interfaceAddresses = Set.of();
    // The TCP ports this engine's listeners are bound to, each with how many binds hold it.
    private final ConcurrentHashMap<Integer, Integer> listeningPorts = new ConcurrentHashMap<>();

    LoopGuard() {
        refresh();
    }

    /** Re-reads the interface addresses. Control thread. */
    void refresh() {
        Set<InetAddress> now = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                now.addAll(Collections.list(nif.getInetAddresses()));
            }
        } catch (SocketException e) {
            log.debug("cannot list network interfaces, keeping the last known addresses: {}", e.getMessage());
            return;
        }
        if (!now.equals(interfaceAddresses)) {
            interfaceAddresses = Set.copyOf(now);
        }
    }

    /** A TCP listener of this engine now listens on {@code port}. Control thread. */
    void listening(int port) {
        listeningPorts.merge(port, 1, Integer::sum);
    }

    /** A TCP listener of this engine no longer listens on {@code port}. Control thread. */
    void notListening(int port) {
        listeningPorts.computeIfPresent(port, (p, n) -> n == 1 ? null : n - 1);
    }

    /** Whether some TCP listener of this engine listens on {@code port}. */
    boolean isListeningPort(int port) {
        return listeningPorts.containsKey(port);
    }

    /** Whether a connection to this address stays on this machine. */
    boolean isLocal(InetAddress a) {
        return a.isLoopbackAddress() || a.isAnyLocalAddress() || interfaceAddresses.contains(a);
    }

    /**
     * The handler for an outgoing connection of {@code frontend} to {@code backend}: {@code h}
     * itself when the backend's port is not one this engine listens on or its address is known not
     * to be this machine's, else {@code h} behind a marker that records the connection's local
     * address right after the connect call.
     *
     * @param client the client channel the connection forwards, {@code null} for a probe
     */
    ChannelHandler wrap(ChannelHandler h, BackendPool frontend, BackendState backend, Channel client) {
        InetSocketAddress a = backend.address();
        if (!isListeningPort(a.getPort()) || !a.isUnresolved() && !isLocal(a.getAddress())) {
            return h;
        }
        List<BackendPool> came = client == null || !client.hasAttr(CHAIN) ? null : client.attr(CHAIN).get();
        List<BackendPool> chain = came == null ? List.of(frontend) : came;
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new Marker(new Outgoing(frontend, backend, null, chain)), h);
            }
        };
    }

    /** The outgoing connection an accepted one comes from, or {@code null} when it is not ours. */
    Outgoing match(InetSocketAddress remote, InetSocketAddress local) {
        if (outgoing.isEmpty() || remote == null || local == null) {
            return null;
        }
        Outgoing o = outgoing.get(remote);
        return o != null && o.destination().getPort() == local.getPort() ? o : null;
    }

    /** Outgoing connections to this machine tracked now (including lingering ones). */
    int tracked() {
        return outgoing.size();
    }

    private void track(Channel ch, InetSocketAddress local, Outgoing o) {
        outgoing.put(local, o);
        ch.closeFuture().addListener(f -> {
            try {
                ch.eventLoop().schedule(() -> outgoing.remove(local, o), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // The engine is shutting down: nothing will be accepted any more.
                outgoing.remove(local, o);
            }
        });
    }

    /**
     * The source address of a connection to {@code local}, an address of this machine: itself, or
     * for a wildcard the loopback address of its family (where such a connect goes).
     */
    private static InetAddress sourceFor(InetAddress local) throws UnknownHostException {
        if (!local.isAnyLocalAddress()) {
            return local;
        }
        return InetAddress.getByAddress(local instanceof Inet6Address
                ? new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1} // ::1
                : new byte[] {127, 0, 0, 1});
    }

    /** Records the local address of a connection to this machine, then leaves the pipeline. */
    private final class Marker extends ChannelOutboundHandlerAdapter {
        // Without its destination, known at connect.
        private final Outgoing from;

        Marker(Outgoing from) {
            this.from = from;
        }

        @Override
        public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                            ChannelPromise promise) throws UnknownHostException {
            if (!(remote instanceof InetSocketAddress dst) || dst.getAddress() == null
                    || !isLocal(dst.getAddress()) || local != null) {
                ctx.connect(remote, local, promise);
                ctx.pipeline().remove(this);
                return;
            }
            Channel ch = ctx.channel();
            Outgoing o = new Outgoing(from.pool(), from.backend(), dst, from.chain());
            // Bound first, to the address the kernel would choose for a local destination: the
            // entry is in the map before the connect call, so a listener on another event loop
            // cannot accept the connection before it is known (with the connect call first, an
            // accept that won that race let the connection through as a stranger).
            InetSocketAddress source = new InetSocketAddress(sourceFor(dst.getAddress()), 0);
            ctx.bind(source).addListener(f -> {
                if (!f.isSuccess()) {
                    log.debug("cannot bind a connection to {} to {} first ({}); it is recorded once connected",
                            dst, source.getAddress(), NettyErrors.describe(f.cause()));
                }
            });
            if (ch.localAddress() instanceof InetSocketAddress bound && bound.getPort() != 0) {
                track(ch, bound, o);
            } else {
                // Not bound (yet): recorded once connected, as late as that is.
                promise.addListener(f -> {
                    if (f.isSuccess() && ch.localAddress() instanceof InetSocketAddress bound) {
                        track(ch, bound, o);
                    }
                });
            }
            ctx.connect(remote, null, promise);
            ctx.pipeline().remove(this);
        }
    }
}

package dev.portico.netty;

import dev.portico.api.CloseReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listening datagram socket and its flows, one per client address and port. The table, the
 * flows and their backend sockets all live on this socket's event loop, so nothing here locks.
 */
final class UdpListener extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UdpListener.class);

    private final UdpFrontendRuntime udp;
    private final FrontendRuntime frontend;
    private Channel channel;
    private final Map<InetSocketAddress, UdpFlow> flows = new HashMap<>();
    // Flows written to in this read batch, flushed once at its end.
    private final List<UdpFlow> toFlush = new ArrayList<>();
    /** Datagrams and bytes forwarded each way (see {@link UdpFrontendRuntime#FROM_CLIENT}). */
    private final AtomicLongArray counts = new AtomicLongArray(UdpFrontendRuntime.COUNTS);

    UdpListener(UdpFrontendRuntime udp) {
        this.udp = udp;
        this.frontend = udp.frontend;
    }

    Channel channel() {
        return channel;
    }

    FrontendRuntime frontend() {
        return frontend;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        udp.listenerActive(this);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket p = (DatagramPacket) msg;
        InetSocketAddress client = p.sender();
        UdpFlow flow = flows.get(client);
        if (flow == null) {
            flow = open(client, p.recipient());
            if (flow == null) {
                p.release();
                return;
            }
        }
        if (flow.fromClient(p.content()) && !flow.flushQueued) {
            flow.flushQueued = true;
            toFlush.add(flow);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (UdpFlow f : toFlush) {
            f.flushQueued = false;
            f.flush();
        }
        toFlush.clear();
    }

    /** A new client: access lists, a backend, then the limit; {@code null} when it is refused. */
    private UdpFlow open(InetSocketAddress client, InetSocketAddress local) {
        String denied = frontend.denied(client);
        if (denied != null) {
            udp.droppedDenied.increment();
            frontend.context().events().onConnectionRefused(frontend.name(), client, denied);
            return null;
        }
        var usable = frontend.usable();
        BackendState chosen = usable.isEmpty() ? null : frontend.affinityFor(client, usable);
        if (chosen == null && !usable.isEmpty()) {
            int i = frontend.balancer().pick(usable, client);
            chosen = i < 0 ? null : usable.get(i);
        }
        if (chosen == null) {
            udp.droppedNoBackend.increment();
            log.debug("frontend {}: no backend for {}", frontend.logName(), client);
            frontend.context().events().onConnectFailed(frontend.name(), null, "no healthy backend");
            return null;
        }
        String full = frontend.acquire();
        if (full != null) {
            udp.limitReached(client, full);
            return null;
        }
        UdpFlow flow = new UdpFlow(this, client, local, chosen);
        flows.put(client, flow);
        flow.open();
        return flow;
    }

    /** A datagram that a full socket (or a flow still connecting) cannot take: dropped, never queued without bound. */
    void dropUnsent(ByteBuf datagram) {
        datagram.release();
        udp.droppedSendFailure.increment();
    }

    /** A datagram that with its PROXY header would not fit one datagram to the backend. */
    void dropTooLarge(ByteBuf datagram) {
        datagram.release();
        udp.droppedTooLarge.increment();
    }

    /**
     * Adds one forwarded datagram of {@code bytes} to the counters at {@code index}. Only this
     * listener's event loop writes them, so a plain read-add-store is exact; the ordered store lets
     * a status reader on another thread see whole values, without a locked instruction per datagram.
     */
    void count(int index, long bytes) {
        counts.lazySet(index, counts.get(index) + 1);
        counts.lazySet(index + 1, counts.get(index + 1) + bytes);
    }

    long count(int index) {
        return counts.get(index);
    }

    /** Called by a flow as it ends. */
    void removed(UdpFlow flow) {
        flows.remove(flow.client, flow);
    }

    void closeFlowsNotTo(Set<BackendState> keep) {
        channel.eventLoop().execute(() -> {
            for (UdpFlow f : new ArrayList<>(flows.values())) {
                if (!keep.contains(f.target)) {
                    f.close(CloseReason.SHUTDOWN);
                }
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The frontend was removed (or the engine closes): its flows end with it.
        for (UdpFlow f : new ArrayList<>(flows.values())) {
            f.close(CloseReason.SHUTDOWN);
        }
        udp.listenerInactive(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A failed send to one client (or a stray error) must not end the listener for all others.
        udp.droppedSendFailure.increment();
        log.debug("frontend {}: datagram socket error: {}", frontend.logName(), NettyErrors.describe(cause));
    }
}

package dev.portico.netty;

import dev.portico.api.EngineStatus;
import dev.portico.api.LogSafe;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side of a {@link FrontendRuntime}: its listening datagram sockets ({@link UdpListener},
 * each with the flow table of its event loop) and what they share. Backends, health, balancing,
 * affinity, access lists and the flow count stay in the frontend runtime, as for TCP.
 */
final class UdpFrontendRuntime {
    private static final Logger log = LoggerFactory.getLogger(UdpFrontendRuntime.class);

    /** Flows per frontend when it sets no maxConnections: a spoofed-source flood meets this bound. */
    static final int DEFAULT_MAX_FLOWS = 10_000;
    /** One read buffer holds the largest datagram (65,507 bytes over IPv4), so none is cut. */
    static final int MAX_DATAGRAM = 64 * 1024;
    /**
     * Pending writes per socket, counted by buffer capacity (see {@link #CAPACITY}): past the high
     * mark a datagram is dropped rather than queued, so a slow backend or client holds at most this.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 256 * 1024);
    /**
     * A datagram's cost is its buffer, not its payload: a 1-byte datagram still holds a 64 KiB read
     * buffer, and counting payload bytes would let thousands queue.
     */
    static final MessageSizeEstimator CAPACITY = () -> msg -> msg instanceof ByteBufHolder h ? h.content().capacity()
            : msg instanceof ByteBuf b ? b.capacity() : 0;

    final FrontendRuntime frontend;
    private final Set<UdpListener> listeners = ConcurrentHashMap.newKeySet();
    private final LogLimiter limitLog = LogLimiter.standard();
    final LongAdder droppedDenied = new LongAdder();
    final LongAdder droppedNoBackend = new LongAdder();
    final LongAdder droppedLimit = new LongAdder();
    final LongAdder droppedTooLarge = new LongAdder();
    final LongAdder droppedSendFailure = new LongAdder();
    /** Counts of listeners that closed (a rebind), so the frontend's totals never go back. */
    private final AtomicLongArray retired = new AtomicLongArray(COUNTS);

    /** Indexes of a listener's counters: datagrams, then bytes, each way. */
    static final int FROM_CLIENT = 0;
    static final int TO_CLIENT = 2;
    static final int COUNTS = 4;

    UdpFrontendRuntime(FrontendRuntime frontend) {
        this.frontend = frontend;
    }

    /** Binds one listening datagram socket on {@code loops}; with SO_REUSEPORT one per event loop. */
    ChannelFuture bind(EventLoopGroup loops, InetSocketAddress address) {
        EngineContext ctx = frontend.context();
        Bootstrap b = datagramBootstrap(ctx, loops).handler(new UdpListener(this));
        if (ctx.acceptorGroups().size() > 1) {
            b.option(ctx.transport() == Transport.EPOLL ? EpollChannelOption.SO_REUSEPORT
                    : IoUringChannelOption.SO_REUSEPORT, true);
        }
        return b.bind(address);
    }

    /** The options every datagram socket of the engine shares, listener and flow alike. */
    static Bootstrap datagramBootstrap(EngineContext ctx, EventLoopGroup loops) {
        return new Bootstrap()
                .group(loops)
                .channel(ctx.transport().datagramChannelClass())
                .option(ChannelOption.ALLOCATOR, ctx.allocator())
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .option(ChannelOption.MESSAGE_SIZE_ESTIMATOR, CAPACITY)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
    }

    /**
     * Whether a socket takes one more datagram. Writes wait for the end of a read batch to be
     * flushed; past the mark they are flushed at once, and only what the kernel does not take
     * then makes the socket full (and the datagram dropped).
     */
    static boolean writable(io.netty.channel.Channel ch) {
        if (ch.isWritable()) {
            return true;
        }
        ch.flush();
        return ch.isWritable();
    }

    /**
     * A datagram that fills less than half its 64 KiB read buffer moves to a buffer of its own
     * size: a queued DNS answer then holds its hundred bytes, not 64 KiB, and the write marks admit
     * a burst of small datagrams (answers of a read batch are flushed together).
     */
    static ByteBuf compact(ByteBuf content, io.netty.buffer.ByteBufAllocator alloc) {
        int n = content.readableBytes();
        if (n > content.capacity() / 2) {
            return content;
        }
        ByteBuf exact = alloc.directBuffer(Math.max(n, 1));
        exact.writeBytes(content);
        content.release();
        return exact;
    }

    void listenerActive(UdpListener l) {
        listeners.add(l);
    }

    void listenerInactive(UdpListener l) {
        if (listeners.remove(l)) {
            for (int i = 0; i < COUNTS; i++) {
                retired.addAndGet(i, l.count(i));
            }
        }
    }

    /** The counters now: summed over the listeners, so read on any thread. */
    EngineStatus.UdpStatus status() {
        long[] c = new long[COUNTS];
        for (int i = 0; i < COUNTS; i++) {
            c[i] = retired.get(i);
        }
        for (UdpListener l : listeners) {
            for (int i = 0; i < COUNTS; i++) {
                c[i] += l.count(i);
            }
        }
        return new EngineStatus.UdpStatus(c[FROM_CLIENT], c[TO_CLIENT], c[FROM_CLIENT + 1], c[TO_CLIENT + 1],
                droppedNoBackend.sum(), droppedLimit.sum(), droppedDenied.sum(), droppedTooLarge.sum(),
                droppedSendFailure.sum());
    }

    /** After an apply: flows to a backend that is gone end; the next datagram picks a current one. */
    void keepOnly(Collection<BackendState> current) {
        Set<BackendState> keep = Set.copyOf(current);
        for (UdpListener l : listeners) {
            l.closeFlowsNotTo(keep);
        }
    }

    void limitReached(InetSocketAddress client, String why) {
        droppedLimit.increment();
        long more = limitLog.permit(System.nanoTime());
        if (more >= 0) {
            log.warn("frontend {}: {}: new flows refused (from {} and others), open flows kept{}", frontend.logName(),
                    LogSafe.escape(why), client, LogLimiter.more(more));
        }
        frontend.context().events().onConnectionRefused(frontend.name(), client, why);
    }

    /**
     * Whether a backend answered with ICMP port unreachable: NIO says so by type, the native
     * transports may report the ECONNREFUSED errno of the connected socket.
     */
    static boolean portUnreachable(Throwable t) {
        if (t instanceof PortUnreachableException) {
            return true;
        }
        String m = t instanceof IOException ? t.getMessage() : null;
        return m != null && m.toLowerCase(Locale.ROOT).contains("connection refused");
    }
}

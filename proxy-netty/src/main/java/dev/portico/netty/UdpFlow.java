package dev.portico.netty;

import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client address and port of a UDP frontend and the connected socket to its backend, opened
 * on the listener's event loop: every field is touched on that loop only. Events see a flow as a
 * connection ({@link ConnectionInfo}, bytes are datagram payload bytes each way).
 */
final class UdpFlow {
    private static final Logger log = LoggerFactory.getLogger(UdpFlow.class);
    /** Datagrams held while the backend socket connects (a name to resolve); more are dropped. */
    static final int EARLY_DATAGRAMS = 16;

    private final UdpListener listener;
    private final FrontendRuntime frontend;
    final InetSocketAddress client;
    final BackendState target;
    private Channel backend;
    private boolean connected;
    private boolean closed;
    boolean flushQueued;
    private ArrayDeque<ByteBuf> early;
    private long bytesFromClient;
    private long bytesToClient;
    private final long openedAt = System.currentTimeMillis();
    private long lastActivityNanos = System.nanoTime();
    private ScheduledFuture<?> idleTimer;
    private ConnectionInfo info;
    /** The PROXY v2 header put before each datagram to the backend, {@code null} when none is sent. */
    private final byte[] proxyHeader;
    /** The largest payload one datagram to the backend carries, known once it is connected. */
    private int maxToBackend = MAX_UDP4_PAYLOAD;
    static final int MAX_UDP4_PAYLOAD = 65_507;
    static final int MAX_UDP6_PAYLOAD = 65_527;

    UdpFlow(UdpListener listener, InetSocketAddress client, InetSocketAddress local, BackendState target) {
        this.listener = listener;
        this.frontend = listener.frontend();
        this.client = client;
        this.target = target;
        this.proxyHeader = frontend.config().sendProxy() == ProxyProtocol.V2 ? UdpProxyHeader.of(client, local) : null;
    }

    void open() {
        target.connectionOpened();
        frontend.flowOpened();
        Channel server = listener.channel();
        ChannelFuture f = UdpFrontendRuntime.datagramBootstrap(frontend.context(), server.eventLoop())
                .resolver(frontend.context().resolver())
                .handler(new FromBackend())
                .connect(target.address());
        backend = f.channel();
        f.addListener(done -> connected(f));
        scheduleIdle(frontend.config().idleTimeout().toNanos());
    }

    private void connected(ChannelFuture f) {
        Channel server = listener.channel();
        if (!server.eventLoop().inEventLoop()) {
            // A socket that could not even be created fails on another thread.
            server.eventLoop().execute(() -> connected(f));
            return;
        }
        if (closed) {
            f.channel().close();
            return;
        }
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            if (cause instanceof ChannelException || NettyErrors.outOfDescriptors(cause)) {
                frontend.cannotOpen(target, cause);
                close(NettyErrors.outOfDescriptors(cause) ? CloseReason.NO_DESCRIPTORS : CloseReason.NO_BACKEND);
            } else {
                frontend.connectFailed(target, NettyErrors.describe(cause));
                close(CloseReason.NO_BACKEND);
            }
            return;
        }
        connected = true;
        if (backend.remoteAddress() instanceof InetSocketAddress a && a.getAddress() instanceof Inet6Address) {
            maxToBackend = MAX_UDP6_PAYLOAD;
        }
        frontend.remember(client, target);
        info = new ConnectionInfo(frontend.name(), client, target.backend(), openedAt);
        frontend.context().events().onConnectionOpened(info);
        if (early != null) {
            ByteBuf b;
            while ((b = early.poll()) != null) {
                write(b);
            }
            early = null;
            backend.flush();
        }
    }

    /** A datagram from the client; returns whether it was written (and needs a flush). */
    boolean fromClient(ByteBuf content) {
        lastActivityNanos = System.nanoTime();
        if (!connected) {
            if (early == null) {
                early = new ArrayDeque<>(4);
            }
            if (early.size() < EARLY_DATAGRAMS) {
                early.add(content);
            } else {
                listener.dropUnsent(content);
            }
            return false;
        }
        return write(content);
    }

    private boolean write(ByteBuf content) {
        int n = content.readableBytes();
        int header = proxyHeader == null ? 0 : proxyHeader.length;
        if (n + header > maxToBackend) {
            listener.dropTooLarge(content);
            return false;
        }
        if (!UdpFrontendRuntime.writable(backend)) {
            listener.dropUnsent(content);
            return false;
        }
        bytesFromClient += n;
        listener.count(UdpFrontendRuntime.FROM_CLIENT, n);
        ByteBuf out;
        if (proxyHeader == null) {
            out = UdpFrontendRuntime.compact(content, backend.alloc());
        } else {
            out = backend.alloc().directBuffer(header + n).writeBytes(proxyHeader).writeBytes(content);
            content.release();
        }
        backend.write(out, backend.voidPromise());
        return true;
    }

    void flush() {
        if (!closed) {
            backend.flush();
        }
    }

    private void scheduleIdle(long delayNanos) {
        idleTimer = listener.channel().eventLoop().schedule(this::idleCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void idleCheck() {
        if (closed) {
            return;
        }
        long timeout = frontend.config().idleTimeout().toNanos();
        long idle = System.nanoTime() - lastActivityNanos;
        if (idle >= timeout) {
            close(CloseReason.IDLE_TIMEOUT);
        } else {
            scheduleIdle(timeout - idle);
        }
    }

    void close(CloseReason reason) {
        if (closed) {
            return;
        }
        closed = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        if (early != null) {
            early.forEach(ByteBuf::release);
            early = null;
        }
        listener.removed(this);
        target.connectionClosed();
        ConnectionInfo i = info != null ? info : new ConnectionInfo(frontend.name(), client, null, openedAt);
        long millis = System.currentTimeMillis() - openedAt;
        // The flow's descriptor counts until its socket is really closed (io_uring closes later),
        // so an engine closing waits for it.
        backend.close().addListener(done -> frontend.flowClosed(i, bytesFromClient, bytesToClient, millis, reason));
    }

    /** The backend socket's handler: answers go back to the client from the listening socket. */
    private final class FromBackend extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf content = msg instanceof DatagramPacket p ? p.content() : (ByteBuf) msg;
            Channel server = listener.channel();
            if (closed || !UdpFrontendRuntime.writable(server)) {
                listener.dropUnsent(content);
                return;
            }
            lastActivityNanos = System.nanoTime();
            int n = content.readableBytes();
            bytesToClient += n;
            listener.count(UdpFrontendRuntime.TO_CLIENT, n);
            server.write(new DatagramPacket(UdpFrontendRuntime.compact(content, server.alloc()), client),
                    server.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            listener.channel().flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (closed) {
                return;
            }
            String why = NettyErrors.describe(cause);
            if (UdpFrontendRuntime.portUnreachable(cause)) {
                // Nothing listens there: down for new flows as a refused TCP connect is, and this
                // flow ends so the client's next datagram opens one to another backend.
                frontend.connectFailed(target, "port unreachable (ICMP)");
            } else {
                log.debug("frontend {}: flow {} to {}: {}", frontend.logName(), client, target.backend().address(), why);
            }
            close(CloseReason.RESET);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close(CloseReason.RESET);
        }
    }
}

package dev.portico.netty;

import dev.portico.api.Balancer;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyProtocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied connection: the client channel, the backend channel opened on the same event loop,
 * and their shared state. Every field is touched on that one event loop only, so nothing here
 * locks. Half-close is propagated (EOF on one side shuts the other side's output once everything
 * read before it is flushed); the connection ends when both directions are done, on a reset
 * (propagated as a reset), or after the idle timeout.
 */
final class Relay {
    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    final FrontendRuntime frontend;
    final Channel client;
    Channel backend;
    BackendState target;
    private final CountingRecvAllocator clientReads;
    private CountingRecvAllocator backendReads;
    private final long openedAt = System.currentTimeMillis();
    // The client's EOF arrived, possibly before the backend connected.
    private boolean clientEof;
    // Everything read before the client's (backend's) EOF has been flushed to the backend (client).
    private boolean toBackendFlushed;
    private boolean toClientFlushed;
    private boolean closed;
    private CloseReason reason;
    private List<BackendState> tried;
    private boolean backendReady;
    // Bytes the client sent before the backend connected: epoll reads once on a peer's FIN even
    // while reading is paused, so a short request and its EOF can arrive early.
    private ArrayDeque<Object> early;
    private int attempts;
    // The last connect failed because the backend reset an established connection.
    private boolean lastConnectReset;
    long lastActivityNanos = System.nanoTime();
    private ScheduledFuture<?> idleTimer;

    // The client as the relay reports and forwards it: the TCP peer, or the address a trusted
    // PROXY header stated.
    private InetSocketAddress clientAddress;
    private InetSocketAddress localAddress;
    private boolean admitted;
    private ScheduledFuture<?> headerTimer;

    // On a shared (SNI) bind: the server name that picked this frontend, and the ClientHello bytes
    // read before this relay existed (they are not in clientReads' count).
    private String serverName;
    private long helloBytes;

    Relay(FrontendRuntime frontend, Channel client) {
        this.frontend = frontend;
        this.client = client;
        this.clientReads = frontend.context().countingAllocator();
        client.config().setRecvByteBufAllocator(clientReads);
    }

    /** Bytes read from the client (and forwarded, or about to be, to the backend). */
    long fromClient() {
        return helloBytes + clientReads.bytes();
    }

    /**
     * For a connection accepted by a shared listener that has already read the ClientHello: those
     * bytes go to the backend first, and the name is reported with the connection. Call before
     * {@link #accepted()}.
     */
    void routed(String name, io.netty.buffer.ByteBuf hello) {
        serverName = name;
        helloBytes = hello.readableBytes();
        holdEarly(hello);
    }

    /** Bytes read from the backend (and forwarded, or about to be, to the client). */
    long toClient() {
        return backendReads == null ? 0 : backendReads.bytes();
    }

    /**
     * Client accepted (its channel is active and not reading yet): apply the limits, read a PROXY
     * header if the listener expects one, apply the access lists, then pick a backend and connect.
     * Nothing reaches a backend before all checks pass.
     */
    void accepted() {
        clientAddress = (InetSocketAddress) client.remoteAddress();
        localAddress = (InetSocketAddress) client.localAddress();
        String loop = frontend.loopFrom(client, clientAddress, localAddress);
        if (loop != null) {
            refuse(CloseReason.LOOP, loop);
            return;
        }
        String full = frontend.acquire();
        if (full != null) {
            refuse(CloseReason.LIMIT, full);
            return;
        }
        admitted = true;
        var accept = frontend.config().acceptProxy();
        if (!accept.enabled()) {
            checkAccessAndStart();
            return;
        }
        if (!frontend.admission().trustedProxy(clientAddress)) {
            refuse(CloseReason.DENIED, "not a trusted PROXY protocol sender");
            return;
        }
        ProxyHeaders.expect(this);
        headerTimer = client.eventLoop().schedule(
                () -> refuse(CloseReason.BAD_PROXY_HEADER, "no PROXY header within " + accept.headerTimeout().toMillis()
                        + " ms"), accept.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
        client.config().setAutoRead(true);
    }

    /** A valid PROXY header: from now on the client is the one it names. */
    void proxyHeader(HAProxyMessage m) {
        if (closed) {
            return;
        }
        headerTimer.cancel(false);
        client.config().setAutoRead(false);
        if (m.command() == HAProxyCommand.PROXY && m.sourceAddress() != null) {
            try {
                clientAddress = new InetSocketAddress(InetAddress.getByName(m.sourceAddress()), m.sourcePort());
                localAddress = new InetSocketAddress(InetAddress.getByName(m.destinationAddress()),
                        m.destinationPort());
            } catch (UnknownHostException e) {
                // The decoder only accepts literals, so this does not happen; refuse if it does.
                refuse(CloseReason.BAD_PROXY_HEADER, "bad address in PROXY header: " + e.getMessage());
                return;
            }
        }
        checkAccessAndStart();
    }

    private void checkAccessAndStart() {
        String denied = frontend.denied(clientAddress);
        if (denied != null) {
            refuse(CloseReason.DENIED, denied);
            return;
        }
        start();
    }

    /** Ends a connection that never reached a backend, and says why. */
    void refuse(CloseReason reason, String why) {
        if (closed) {
            return;
        }
        frontend.refused(clientAddress, why);
        close(reason);
    }

    InetSocketAddress clientAddress() {
        return clientAddress;
    }

    boolean admitted() {
        return admitted;
    }

    private void start() {
        frontend.relayOpened(this);
        scheduleIdle(frontend.config().idleTimeout().toNanos());
        connectNext();
    }

    private void connectNext() {
        Frontend cfg = frontend.config();
        List<BackendState> usable = frontend.usable();
        if (tried != null && !usable.isEmpty()) {
            List<BackendState> left = new ArrayList<>(usable.size());
            for (BackendState b : usable) {
                if (!tried.contains(b)) {
                    left.add(b);
                }
            }
            usable = left;
        }
        if (usable.isEmpty() || attempts >= Frontend.MAX_CONNECT_ATTEMPTS) {
            frontend.pool().noBackend(clientAddress, attempts == 0);
            if (lastConnectReset) {
                // The last backend accepted, then reset (it may even have sent bytes first): the
                // client learns of the abort as a reset, not as a clean, empty answer.
                abortPeer(client);
                close(CloseReason.RESET);
                return;
            }
            close(CloseReason.NO_BACKEND);
            return;
        }
        BackendState chosen = attempts == 0 ? frontend.affinityFor(clientAddress, usable) : null;
        if (chosen == null) {
            Balancer balancer = frontend.balancer();
            int i = balancer.pick(usable, clientAddress);
            if (i < 0) {
                frontend.pool().noBackend(clientAddress, attempts == 0);
                close(CloseReason.NO_BACKEND);
                return;
            }
            chosen = usable.get(i);
        }
        attempts++;
        target = chosen;
        chosen.active.incrementAndGet();
        CountingRecvAllocator reads = frontend.context().countingAllocator();
        backendReads = reads;
        Bootstrap b = frontend.context().backendBootstrap(client.eventLoop(), cfg)
                .option(ChannelOption.RCVBUF_ALLOCATOR, reads)
                .handler(frontend.pool().outgoing(new RelayHandler(this, false), chosen, client));
        ChannelFuture f = b.connect(chosen.address());
        backend = f.channel();
        BackendState picked = chosen;
        f.addListener(done -> connected(picked, f));
    }

    private void connected(BackendState chosen, ChannelFuture f) {
        if (!client.eventLoop().inEventLoop()) {
            // A channel that could not even be created (no file descriptor left) fails on
            // another thread; this state belongs to the client's event loop.
            client.eventLoop().execute(() -> connected(chosen, f));
            return;
        }
        if (f.isSuccess()) {
            if (closed) {
                f.channel().close();
                return;
            }
            backendReady = true;
            frontend.remember(clientAddress, chosen);
            frontend.context().events().onConnectionOpened(info());
            var pp = frontend.config().sendProxy();
            if (pp != ProxyProtocol.OFF) {
                ProxyHeaders.send(backend, pp, clientAddress, localAddress);
            }
            if (early != null) {
                Object m;
                while ((m = early.poll()) != null) {
                    backend.write(m, backend.voidPromise());
                }
                backend.flush();
                early = null;
            }
            if (clientEof) {
                shutdownPeerOutput(backend);
                backend.config().setAutoRead(true);
                return;
            }
            client.config().setAutoRead(true);
            backend.config().setAutoRead(true);
            return;
        }
        if (closed) {
            // close() already gave back the connection count.
            return;
        }
        chosen.active.decrementAndGet();
        backend = null;
        target = null;
        String why = NettyErrors.describe(f.cause());
        if (f.cause() instanceof ChannelException || NettyErrors.outOfDescriptors(f.cause())) {
            // A local shortage (descriptors, memory), not the backend's fault: keep it up.
            frontend.cannotOpen(chosen, f.cause());
            close(NettyErrors.outOfDescriptors(f.cause()) ? CloseReason.NO_DESCRIPTORS : CloseReason.NO_BACKEND);
            return;
        }
        frontend.connectFailed(chosen, why);
        lastConnectReset = NettyErrors.isReset(f.cause());
        if (tried == null) {
            tried = new ArrayList<>(Frontend.MAX_CONNECT_ATTEMPTS);
        }
        tried.add(chosen);
        connectNext();
    }

    /** The channel this side's bytes go to, {@code null} while the backend is not connected. */
    Channel peerOf(boolean clientSide) {
        return clientSide ? (backendReady ? backend : null) : client;
    }

    /** Keeps what the client sent before the backend connected (at most one read batch). */
    void holdEarly(Object msg) {
        if (early == null) {
            early = new ArrayDeque<>(2);
        }
        early.add(msg);
    }

    /** EOF from one side: flush what was read before it, then shut the other side's output. */
    void inputShutdown(boolean clientSide) {
        if (log.isDebugEnabled()) {
            log.debug("frontend {}: EOF from {} (from client {}, to client {})", frontend.name(),
                    clientSide ? "client" : "backend", fromClient(), toClient());
        }
        if (clientSide) {
            clientEof = true;
        }
        if (reason == null) {
            reason = clientSide ? CloseReason.CLIENT_CLOSED : CloseReason.BACKEND_CLOSED;
        }
        if (clientSide && !backendReady && !closed) {
            return; // propagated once the backend connects
        }
        Channel peer = peerOf(clientSide);
        if (peer == null || !peer.isActive()) {
            close(reason);
            return;
        }
        shutdownPeerOutput(peer);
    }

    /**
     * Flushes everything read before an EOF to {@code peer}, then ends that direction: a FIN
     * (shutdown of the peer's output), or, once the other direction is flushed too, a close.
     * Closing earlier would discard bytes still queued for a slow reader.
     */
    private void shutdownPeerOutput(Channel peer) {
        boolean toClient = peer == client;
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(flushed -> {
            if (!flushed.isSuccess() || !peer.isActive()) {
                close(reason);
                return;
            }
            if (toClient) {
                toClientFlushed = true;
            } else {
                toBackendFlushed = true;
            }
            if (toClientFlushed && toBackendFlushed) {
                // Both directions are done: the close sends the last FIN.
                close(reason);
            } else if (peer instanceof DuplexChannel d) {
                d.shutdownOutput().addListener(shut -> {
                    if (!shut.isSuccess()) {
                        close(reason);
                    }
                });
            }
        });
    }

    /** A reset or I/O error on one side: reset the other side too. */
    void reset(boolean clientSide, Throwable cause) {
        if (closed) {
            return;
        }
        if (log.isDebugEnabled()) {
            log.debug("frontend {}: {} side failed: {}", frontend.name(), clientSide ? "client" : "backend",
                    NettyErrors.describe(cause));
        }
        if (reason == null) {
            reason = CloseReason.RESET;
        }
        // The backend is reset too while it is still connecting or holding the client's early
        // bytes: it accepted, so a plain close would look like a complete, empty request.
        abortPeer(clientSide ? backend : client);
        close(CloseReason.RESET);
    }

    /** SO_LINGER 0 makes the coming close() send RST, so the peer learns of the abort. */
    private static void abortPeer(Channel peer) {
        if (peer != null && peer.isOpen()) {
            peer.config().setOption(ChannelOption.SO_LINGER, 0);
        }
    }

    /** Ends the connection (idempotent): closes both channels and reports once. */
    void close(CloseReason why) {
        if (closed) {
            return;
        }
        if (log.isDebugEnabled()) {
            log.debug("frontend {}: closing {} ({}), {} bytes from client, {} to client", frontend.name(),
                    clientAddress, why, fromClient(), toClient());
        }
        closed = true;
        if (reason == null || why == CloseReason.RESET || why == CloseReason.IDLE_TIMEOUT
                || why == CloseReason.SHUTDOWN || why == CloseReason.NO_BACKEND || why == CloseReason.NO_DESCRIPTORS) {
            reason = why;
        }
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        if (headerTimer != null) {
            headerTimer.cancel(false);
        }
        client.close();
        if (backend != null) {
            backend.close();
        }
        if (target != null && backend != null) {
            target.active.decrementAndGet();
        }
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
        frontend.relayClosed(this, reason, System.currentTimeMillis() - openedAt);
    }

    /** Ends the connection from another thread (engine shutdown), on its own event loop. */
    void cut() {
        client.eventLoop().execute(() -> close(CloseReason.SHUTDOWN));
    }

    boolean isClosed() {
        return closed;
    }

    ConnectionInfo info() {
        return new ConnectionInfo(frontend.name(), clientAddress,
                target == null ? null : target.backend(), openedAt, serverName);
    }

    private void scheduleIdle(long delayNanos) {
        idleTimer = client.eventLoop().schedule(this::idleCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void idleCheck() {
        if (closed) {
            return;
        }
        long timeout = frontend.config().idleTimeout().toNanos();
        long idle = System.nanoTime() - lastActivityNanos;
        if (idle >= timeout) {
            log.debug("frontend {}: closing {} after {} ms idle", frontend.name(), clientAddress,
                    TimeUnit.NANOSECONDS.toMillis(idle));
            close(CloseReason.IDLE_TIMEOUT);
        } else {
            scheduleIdle(timeout - idle);
        }
    }

    /** Bytes the proxy holds for this connection in its write queues, both directions. */
    long bufferedBytes() {
        return pending(client) + pending(backend);
    }

    private static long pending(Channel ch) {
        if (ch == null) {
            return 0;
        }
        var out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }
}

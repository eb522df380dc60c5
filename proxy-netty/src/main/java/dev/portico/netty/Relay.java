package dev.portico.netty;

import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.ProxyProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied connection's state machine: the client channel, the backend channel opened on the
 * same event loop by its {@link BackendConnector}, and what both directions have done. Every field
 * is touched on that one event loop only, so nothing here locks. Half-close is propagated (EOF on
 * one side shuts the other side's output once everything read before it is flushed); the
 * connection ends when both directions are done, on a reset (propagated as a reset), or after the
 * idle timeout. It starts once its {@link AdmissionHandler} has let the client in.
 */
final class Relay {
    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final FrontendRuntime frontend;
    private final Channel client;
    private final CountingRecvAllocator clientReads;
    private final long openedAt = System.currentTimeMillis();
    private final IdleTimer idle;
    // Null until the client is admitted.
    private BackendConnector backend;
    private boolean backendReady;
    // The client's EOF arrived, possibly before the backend connected.
    private boolean clientEof;
    // Everything read before the client's (backend's) EOF has been flushed to the backend (client).
    private boolean toBackendFlushed;
    private boolean toClientFlushed;
    private boolean closed;
    private CloseReason reason;
    // Bytes the client sent before the backend connected: epoll reads once on a peer's FIN even
    // while reading is paused, so a short request and its EOF can arrive early.
    private ArrayDeque<Object> early;

    // The client as the relay reports and forwards it: the TCP peer, or the address a trusted
    // PROXY header stated.
    private InetSocketAddress clientAddress;
    private InetSocketAddress localAddress;
    // Counted against the limits: close gives the count back.
    private boolean counted;

    // On a shared (SNI) bind: the server name that picked this frontend, and the ClientHello bytes
    // read before this relay existed (they are not in clientReads' count).
    private String serverName;
    private long helloBytes;

    Relay(FrontendRuntime frontend, Channel client) {
        this.frontend = frontend;
        this.client = client;
        this.clientReads = frontend.context().countingAllocator();
        client.config().setRecvByteBufAllocator(clientReads);
        this.idle = new IdleTimer(client.eventLoop(), () -> frontend.config().idleTimeout(), this::written,
                this::idleTimeout);
    }

    /** Bytes read from the client (and forwarded, or about to be, to the backend). */
    long fromClient() {
        return helloBytes + clientReads.bytes();
    }

    /** Bytes read from the backend (and forwarded, or about to be, to the client). */
    long toClient() {
        return backend == null ? 0 : backend.bytesRead();
    }

    /**
     * Bytes read that the proxy no longer queues: handed to a socket (or, before the backend
     * connects, held for it). The idle timer watches this move while a slow reader drains.
     */
    private long written() {
        return fromClient() + toClient() - bufferedBytes();
    }

    /**
     * For a connection accepted by a shared listener that has already read the ClientHello: those
     * bytes go to the backend first, and the name is reported with the connection. Call before
     * the admission runs.
     */
    void routed(String name, ByteBuf hello) {
        serverName = name;
        helloBytes = hello.readableBytes();
        holdEarly(hello);
    }

    /** The admission counted this connection against the limits; its close gives the count back. */
    void counted() {
        counted = true;
    }

    /** The client passed every check: pick a backend and connect. */
    void start(InetSocketAddress client, InetSocketAddress local) {
        clientAddress = client;
        localAddress = local;
        frontend.relayOpened(this);
        idle.start();
        backend = new BackendConnector(frontend, this, this.client, client, () -> new RelayHandler(this, false));
        backend.connect();
    }

    /** Ends a connection that never reached a backend, and says why; {@code client} as stated so far. */
    void refuse(CloseReason reason, String why, InetSocketAddress client) {
        if (closed) {
            return;
        }
        clientAddress = client;
        frontend.refused(client, why);
        close(reason);
    }

    /** The backend connected: forward what waited, then read both sides. */
    void backendConnected(Channel ch) {
        backendReady = true;
        frontend.context().events().onConnectionOpened(info());
        var pp = frontend.config().sendProxy();
        if (pp != ProxyProtocol.OFF) {
            ProxyHeaders.send(ch, pp, clientAddress, localAddress);
        }
        if (early != null) {
            Object m;
            while ((m = early.poll()) != null) {
                ch.write(m, ch.voidPromise());
            }
            ch.flush();
            early = null;
        }
        if (clientEof) {
            shutdownPeerOutput(ch);
            ch.config().setAutoRead(true);
            return;
        }
        client.config().setAutoRead(true);
        ch.config().setAutoRead(true);
    }

    /** No backend could be reached; a {@link CloseReason#RESET} is passed on to the client as one. */
    void noBackend(CloseReason why) {
        if (why == CloseReason.RESET) {
            abortPeer(client);
        }
        close(why);
    }

    /** The channel this side's bytes go to, {@code null} while the backend is not connected. */
    Channel peerOf(boolean clientSide) {
        return clientSide ? (backendReady ? backend.channel() : null) : client;
    }

    /** Keeps what the client sent before the backend connected (at most one read batch). */
    void holdEarly(Object msg) {
        if (early == null) {
            early = new ArrayDeque<>(2);
        }
        early.add(msg);
    }

    /** Bytes were read and forwarded (flushed as far as the peer takes them now). */
    void activity() {
        idle.activity();
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
            if (!flushed.isSuccess()) {
                reset(toClient, flushed.cause());
                return;
            }
            if (!peer.isActive()) {
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
                // Once this FIN is out, the peer's own EOF ends its socket: the transport closes
                // it instead of shutting its input (a shutdown(SHUT_RD) that fails on a socket
                // both FINs have passed, and an exception with a stack trace in Netty), and the
                // handler takes that close for the EOF (RelayHandler#channelInactive). io_uring
                // keeps the half-closed socket: that transport is opt-in and held back for losing
                // the end of a stream (docs/testing.md), and this path is not proven on it.
                if (!(peer instanceof IoUringSocketChannel)) {
                    peer.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
                }
                d.shutdownOutput().addListener(shut -> {
                    // E.g. ENOTCONN: the peer reset before its reset was read (epoll sees a
                    // client's RST only when it reads). A reset it is, passed on as one, not a
                    // close that the other side would take for a complete stream.
                    if (!shut.isSuccess()) {
                        reset(toClient, shut.cause());
                    }
                });
            }
        });
    }

    /** Whether this relay has ended the direction toward that side (flushed, then its FIN sent). */
    boolean finSentTo(boolean clientSide) {
        return clientSide ? toClientFlushed : toBackendFlushed;
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
        abortPeer(clientSide ? backendChannel() : client);
        close(CloseReason.RESET);
    }

    private Channel backendChannel() {
        return backend == null ? null : backend.channel();
    }

    /** SO_LINGER 0 makes the coming close() send RST, so the peer learns of the abort. */
    private static void abortPeer(Channel peer) {
        if (peer != null && peer.isOpen()) {
            peer.config().setOption(ChannelOption.SO_LINGER, 0);
        }
    }

    private void idleTimeout(long idleNanos) {
        log.debug("frontend {}: closing {} after {} ms idle", frontend.name(), clientAddress,
                TimeUnit.NANOSECONDS.toMillis(idleNanos));
        close(CloseReason.IDLE_TIMEOUT);
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
        idle.stop();
        client.close();
        if (backend != null) {
            backend.close();
        }
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
        frontend.relayClosed(this, reason, System.currentTimeMillis() - openedAt, counted);
    }

    /** Ends the connection from another thread (engine shutdown), on its own event loop. */
    void cut() {
        client.eventLoop().execute(() -> close(CloseReason.SHUTDOWN));
    }

    boolean isClosed() {
        return closed;
    }

    ConnectionInfo info() {
        return new ConnectionInfo(frontend.name(), clientAddress, backend == null ? null : backend.target(),
                openedAt, serverName);
    }

    /** Bytes the proxy holds for this connection in its write queues, both directions. */
    long bufferedBytes() {
        return pending(client) + pending(backendChannel());
    }

    private static long pending(Channel ch) {
        if (ch == null) {
            return 0;
        }
        var out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }
}

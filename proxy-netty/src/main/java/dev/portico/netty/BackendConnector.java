package dev.portico.netty;

import dev.portico.api.Backend;
import dev.portico.api.CloseReason;
import dev.portico.api.Frontend;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The backend side of one {@link Relay}: picks a backend (the client's affinity first, then the
 * balancer) among the usable ones, connects on the client's event loop, and after a failed connect
 * tries one not tried yet, at most {@link Frontend#MAX_CONNECT_ATTEMPTS} times. It owns the
 * backend channel and the connection count on the backend it targets. Event loop of the client.
 */
final class BackendConnector {
    private final FrontendRuntime frontend;
    private final Relay relay;
    private final Channel client;
    private final InetSocketAddress clientAddress;
    private final Supplier<ChannelHandler> handler;
    private Channel channel;
    private BackendState target;
    private CountingRecvAllocator reads;
    private List<BackendState> tried;
    private int attempts;
    // The last connect failed because the backend reset an established connection.
    private boolean lastConnectReset;
    private boolean closed;

    /** @param handler a new handler for each backend channel tried */
    BackendConnector(FrontendRuntime frontend, Relay relay, Channel client, InetSocketAddress clientAddress,
                     Supplier<ChannelHandler> handler) {
        this.frontend = frontend;
        this.relay = relay;
        this.client = client;
        this.clientAddress = clientAddress;
        this.handler = handler;
    }

    /** The backend channel, connected or still connecting; {@code null} between attempts. */
    Channel channel() {
        return channel;
    }

    /** The backend connected to or being tried, {@code null} when none is. */
    Backend target() {
        return target == null ? null : target.backend();
    }

    /** Bytes read from the backend. */
    long bytesRead() {
        return reads == null ? 0 : reads.bytes();
    }

    void connect() {
        BackendPool pool = frontend.pool();
        List<BackendState> usable = pool.usable();
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
            pool.noBackend(clientAddress, attempts == 0);
            // The last backend accepted, then reset (it may even have sent bytes first): the
            // client learns of the abort as a reset, not as a clean, empty answer.
            relay.noBackend(lastConnectReset ? CloseReason.RESET : CloseReason.NO_BACKEND);
            return;
        }
        BackendState chosen = attempts == 0 ? pool.affinityFor(clientAddress, usable) : null;
        if (chosen == null) {
            int i = pool.balancer().pick(usable, clientAddress);
            if (i < 0) {
                pool.noBackend(clientAddress, attempts == 0);
                relay.noBackend(CloseReason.NO_BACKEND);
                return;
            }
            chosen = usable.get(i);
        }
        attempts++;
        target = chosen;
        chosen.connectionOpened();
        reads = frontend.context().countingAllocator();
        InetSocketAddress remote = chosen.address();
        try {
            channel = frontend.context().backendChannel(frontend.config(), reads,
                    pool.outgoing(handler.get(), chosen, client), remote);
        } catch (ChannelException e) {
            // No socket could be opened (no file descriptor or memory left).
            failed(chosen, e);
            return;
        }
        ChannelFuture f = frontend.context().connectBackend(client.eventLoop(), channel, remote);
        BackendState picked = chosen;
        f.addListener(done -> connected(picked, f));
    }

    private void connected(BackendState chosen, ChannelFuture f) {
        if (f.isSuccess()) {
            if (closed) {
                f.channel().close();
                return;
            }
            frontend.pool().remember(clientAddress, chosen);
            relay.backendConnected(channel);
            return;
        }
        if (closed) {
            // close() already gave back the connection count.
            return;
        }
        failed(chosen, f.cause());
    }

    /** The connect to {@code chosen} failed: another backend, or the end of the relay. */
    private void failed(BackendState chosen, Throwable cause) {
        chosen.connectionClosed();
        channel = null;
        target = null;
        if (cause instanceof ChannelException || NettyErrors.outOfDescriptors(cause)) {
            // A local shortage (descriptors, memory), not the backend's fault: keep it up.
            frontend.pool().cannotOpen(chosen, cause);
            relay.noBackend(NettyErrors.outOfDescriptors(cause) ? CloseReason.NO_DESCRIPTORS : CloseReason.NO_BACKEND);
            return;
        }
        frontend.pool().connectFailed(chosen, NettyErrors.describe(cause));
        lastConnectReset = NettyErrors.isReset(cause);
        if (tried == null) {
            tried = new ArrayList<>(Frontend.MAX_CONNECT_ATTEMPTS);
        }
        tried.add(chosen);
        connect();
    }

    /** Closes the backend channel and gives back its count (idempotent). */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (channel != null) {
            channel.close();
            target.connectionClosed();
        }
    }
}

package dev.portico.netty;

import dev.portico.api.CloseReason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * The hot path, one instance per side of a {@link Relay}: every buffer read is written to the
 * peer without a copy and flushed once per read batch; reading stops while the peer is not
 * writable, so what the proxy buffers per connection stays bounded by the write-buffer water
 * mark whatever the peers' speeds.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
    private final Relay relay;
    private final boolean clientSide;
    private boolean wrote;

    RelayHandler(Relay relay, boolean clientSide) {
        this.relay = relay;
        this.clientSide = clientSide;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel peer = relay.peerOf(clientSide);
        if (peer == null || relay.isClosed()) {
            if (clientSide && !relay.isClosed()) {
                relay.holdEarly(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        peer.write(msg, peer.voidPromise());
        wrote = true;
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (wrote) {
            wrote = false;
            Channel peer = relay.peerOf(clientSide);
            if (peer != null) {
                peer.flush();
            }
            // After the flush: what it wrote belongs to this read, what stays queued is written
            // later and counted by the idle timer when it goes.
            relay.activity();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // This side's write queue drained below the low water mark (or filled): resume (or
        // pause) reading from the peer that feeds it.
        Channel peer = relay.peerOf(clientSide);
        // A channel whose input is shut down has nothing left to read, and epoll rejects
        // interest changes for it.
        if (peer != null && !(peer instanceof DuplexChannel d && d.isInputShutdown())) {
            peer.config().setAutoRead(ctx.channel().isWritable());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            relay.inputShutdown(clientSide);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (relay.isClosed()) {
            return;
        }
        if (relay.finSentTo(clientSide)) {
            // The EOF of a side that already has our FIN: the transport closed it (no half-closure
            // left to keep, see Relay#shutdownPeerOutput). A read error would have reset the relay
            // first, so this is the end of its stream: flush it to the other side, then close.
            relay.inputShutdown(clientSide);
        } else {
            relay.close(clientSide ? CloseReason.CLIENT_CLOSED
                    : CloseReason.BACKEND_CLOSED);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        relay.reset(clientSide, cause);
    }
}

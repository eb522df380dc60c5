package dev.portico.netty;

import dev.portico.api.LogSafe;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a connection on a shared (SNI) bind: reads until the whole ClientHello is
 * in, picks the frontend by its server name, and replaces itself with that frontend's relay, which
 * forwards the bytes read so far first and everything after untouched. TLS is never terminated.
 * Bytes that are not TLS are refused at the first byte that shows it; a hello that is too large or
 * too slow is refused too, so an idle or hostile client holds a socket for a bounded time only.
 */
final class SniRouter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SniRouter.class);
    // TLS alerts (fatal): unrecognized_name (112) for a name no frontend serves, handshake_failure
    // (40) for a hello without a name when there is no catch-all.
    private static final byte[] UNRECOGNIZED_NAME = {21, 3, 1, 0, 2, 2, 112};
    private static final byte[] HANDSHAKE_FAILURE = {21, 3, 1, 0, 2, 2, 40};

    private final SniListener listener;
    private ByteBuf hello;
    private ScheduledFuture<?> timer;
    private boolean decided;

    SniRouter(SniListener listener) {
        this.listener = listener;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        long timeout = listener.context().sniHelloTimeout().toNanos();
        timer = ctx.executor().schedule(() -> refuse(ctx, "no complete ClientHello within "
                + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms", null), timeout, TimeUnit.NANOSECONDS);
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (decided || !(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (hello == null) {
            hello = ctx.alloc().buffer(Math.max(in.readableBytes(), 512));
        }
        hello.writeBytes(in);
        in.release();
        int max = listener.context().sniHelloMaxBytes();
        ClientHello.Result r = ClientHello.inspect(hello, max);
        switch (r.kind()) {
            case NEED_MORE -> { }
            case TOO_LARGE -> refuse(ctx, "ClientHello larger than " + max + " bytes", null);
            case NOT_TLS -> notTls(ctx, r.problem());
            case DONE -> route(ctx, r.serverName());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!decided) {
            ctx.read();
        }
    }

    /**
     * Bytes that are not TLS: closed at once, unless the operator sends them to the catch-all (which
     * then gets them exactly as read, with no server name), for a bind that also serves, say, plain
     * HTTP redirects or SSH behind its catch-all.
     */
    private void notTls(ChannelHandlerContext ctx, String problem) {
        FrontendRuntime catchAll = listener.context().sniNonTlsToCatchAll() ? listener.routes().route(null) : null;
        if (catchAll == null) {
            refuse(ctx, "not TLS: " + problem, null);
            return;
        }
        handOver(ctx, catchAll, null, problem);
    }

    private void route(ChannelHandlerContext ctx, String serverName) {
        FrontendRuntime fe = listener.routes().route(serverName);
        if (fe == null) {
            refuse(ctx, serverName == null ? "ClientHello without a server name and no catch-all frontend"
                    : "no frontend for server name " + serverName, serverName == null ? HANDSHAKE_FAILURE
                    : UNRECOGNIZED_NAME);
            return;
        }
        handOver(ctx, fe, serverName, null);
    }

    /** @param notTls why the bytes are not TLS, for a connection the catch-all takes anyway; else null */
    private void handOver(ChannelHandlerContext ctx, FrontendRuntime fe, String serverName, String notTls) {
        decided = true;
        timer.cancel(false);
        if (log.isDebugEnabled()) {
            log.debug("{}: {} {}, routed to frontend {}", listener.label(), ctx.channel().remoteAddress(),
                    notTls != null ? "sends no TLS (" + notTls + ")" : serverName == null ? "names no server"
                            : "names " + LogSafe.escape(serverName), fe.logName());
        }
        ByteBuf read = hello;
        hello = null;
        fe.acceptRouted(ctx.pipeline(), this, serverName, read);
    }

    private void refuse(ChannelHandlerContext ctx, String why, byte[] alert) {
        if (decided) {
            return;
        }
        decided = true;
        if (timer != null) {
            timer.cancel(false);
        }
        release();
        listener.refused(ctx.channel(), why);
        if (alert != null && ctx.channel().isActive()) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(alert)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void release() {
        if (hello != null) {
            hello.release();
            hello = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!decided) {
            decided = true;
            timer.cancel(false);
            release();
            listener.refused(ctx.channel(), "closed before its ClientHello was complete");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !decided) {
            refuse(ctx, "closed before its ClientHello was complete", null);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        refuse(ctx, "error while reading the ClientHello: " + NettyErrors.describe(cause), null);
    }
}

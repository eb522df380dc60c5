package dev.portico.examples.metrics;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that holds the endpoint without asking anything of it: one idle between
 * requests longer than the idle timeout, or one whose request head is not complete within the head
 * timeout of its first byte (a client that sends a request line and then nothing). It sits before
 * the HTTP decoder to see the first byte; {@link HttpEndpoint} says when a head arrived and when
 * the connection waits again.
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger("portico.metrics");

    private enum State { WAITING, HEAD, BUSY }

    private final MetricsServer.Limits limits;
    private ChannelHandlerContext ctx;
    private State state = State.WAITING;
    private ScheduledFuture<?> timer;

    RequestDeadline(MetricsServer.Limits limits) {
        this.limits = limits;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        arm(limits.idleTimeout(), "idle");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.WAITING && msg instanceof ByteBuf b && b.isReadable()) {
            state = State.HEAD;
            arm(limits.headTimeout(), "request head not complete");
        }
        ctx.fireChannelRead(msg);
    }

    /** A whole request head was decoded: no deadline while it is answered. */
    void headArrived() {
        state = State.BUSY;
        cancel();
    }

    /** The response is written; the connection is kept for the next request. */
    void awaitNext() {
        state = State.WAITING;
        arm(limits.idleTimeout(), "idle");
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void arm(Duration after, String why) {
        cancel();
        timer = ctx.executor().schedule(() -> {
            log.debug("metrics: closing {}: {} after {}", ctx.channel().remoteAddress(), why, after);
            ctx.close();
        }, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}

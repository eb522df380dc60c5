package dev.portico.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a listening socket: a failed accept (most often no file descriptor left) pauses accepting
 * for a second and is logged in plain words, at most once per {@link LogLimiter#INTERVAL_SECONDS}
 * per listener. Netty's own acceptor would pause too, then hand the error to the pipeline's tail,
 * which logs a generic warning every second; this handler sits before it and ends the event here.
 */
@ChannelHandler.Sharable
final class AcceptErrorHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AcceptErrorHandler.class);
    static final long PAUSE_SECONDS = 1;

    private final java.util.function.Supplier<String> name;
    private final LogLimiter limiter = LogLimiter.standard();

    AcceptErrorHandler(FrontendRuntime frontend) {
        this(() -> "frontend " + frontend.logName());
    }

    /** For a listener shared by several frontends: {@code name} says which in the log line. */
    AcceptErrorHandler(java.util.function.Supplier<String> name) {
        this.name = name;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Channel server = ctx.channel();
        if (server.config().isAutoRead()) {
            // Retrying at once would spin: the pending connection stays in the backlog.
            server.config().setAutoRead(false);
            server.eventLoop().schedule(() -> server.config().setAutoRead(true), PAUSE_SECONDS, TimeUnit.SECONDS);
        }
        long more = limiter.permit(System.nanoTime());
        if (more >= 0) {
            log.warn("{}: cannot accept connections: {}; trying again every {} s{}", name.get(),
                    NettyErrors.describe(cause), PAUSE_SECONDS, LogLimiter.more(more));
        }
    }
}

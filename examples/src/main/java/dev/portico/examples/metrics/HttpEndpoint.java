package dev.portico.examples.metrics;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.stream.ChunkedInput;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection of the metrics endpoint: routes a request once its head and (small, dropped) body
 * are in, answers one request at a time (reading stops while a response is written), and streams
 * {@code /metrics} and {@code /status} through {@link io.netty.handler.stream.ChunkedWriteHandler},
 * which asks for the next chunk only while the channel is writable.
 */
final class HttpEndpoint extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger("portico.metrics");
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String JSON = "application/json";
    private static final int CHUNK = 16 * 1024;

    /** What every connection shares; touched only on the endpoint's one thread. */
    static final class Shared {
        final PorticoMetrics metrics;
        final MetricsServer.Limits limits;
        int connections;
        int streams;

        Shared(PorticoMetrics metrics, MetricsServer.Limits limits) {
            this.metrics = metrics;
            this.limits = limits;
        }
    }

    private final Shared shared;
    private final RequestDeadline deadline;
    private HttpRequest request;
    private long bodyBytes;
    /** After a response that closes the connection: whatever else arrives is dropped. */
    private boolean done;

    HttpEndpoint(Shared shared, RequestDeadline deadline) {
        this.shared = shared;
        this.deadline = deadline;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (done) {
                return;
            }
            if (msg instanceof HttpRequest req) {
                deadline.headArrived();
                DecoderResult result = req.decoderResult();
                if (result.isFailure()) {
                    rejectAndClose(ctx, badRequest(result.cause()), "bad request: " + result.cause().getMessage());
                    return;
                }
                request = req;
                bodyBytes = 0;
                if (HttpUtil.getContentLength(req, 0L) > shared.limits.maxBody()) {
                    rejectAndClose(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            "a request body is at most " + shared.limits.maxBody() + " bytes");
                    return;
                }
            }
            if (msg instanceof HttpContent content && request != null) {
                bodyBytes += content.content().readableBytes();
                if (bodyBytes > shared.limits.maxBody()) {
                    rejectAndClose(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                            "a request body is at most " + shared.limits.maxBody() + " bytes");
                    return;
                }
                if (content instanceof LastHttpContent) {
                    HttpRequest req = request;
                    request = null;
                    ctx.channel().config().setAutoRead(false);
                    respond(ctx, req);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private static HttpResponseStatus badRequest(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        return cause instanceof TooLongHttpHeaderException
                ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE : HttpResponseStatus.BAD_REQUEST;
    }

    private void rejectAndClose(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
        done = true;
        FullHttpResponse r = text(HttpVersion.HTTP_1_1, status, why + "\n");
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest req) {
        String path = new QueryStringDecoder(req.uri()).path();
        boolean head = HttpMethod.HEAD.equals(req.method());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpVersion version = req.protocolVersion();
        if (!path.equals("/metrics") && !path.equals("/status") && !path.equals("/healthz")) {
            finish(ctx, text(version, HttpResponseStatus.NOT_FOUND, "not found; try /metrics, /status or /healthz\n"),
                    keepAlive);
            return;
        }
        if (!head && !HttpMethod.GET.equals(req.method())) {
            FullHttpResponse r = text(version, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed; use GET\n");
            r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            finish(ctx, r, keepAlive);
            return;
        }
        if (path.equals("/healthz")) {
            finish(ctx, text(version, HttpResponseStatus.OK, "ok\n"), keepAlive);
            return;
        }
        if (shared.streams >= shared.limits.maxStreams()) {
            FullHttpResponse r = text(version, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "busy: " + shared.streams + " responses are being written; retry\n");
            r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
            finish(ctx, r, keepAlive);
            return;
        }
        StreamedBody body;
        String type;
        try {
            if (path.equals("/metrics")) {
                type = MetricsServer.PROMETHEUS_TEXT;
                body = head ? null : shared.metrics.scrapeBody();
            } else {
                type = JSON;
                body = shared.metrics.statusBody();
                if (body == null) {
                    finish(ctx, text(version, HttpResponseStatus.SERVICE_UNAVAILABLE, "starting\n"), keepAlive);
                    return;
                }
            }
        } catch (RuntimeException e) {
            log.warn("{} failed: {}", path, e.toString());
            finish(ctx, text(version, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e + "\n"),
                    keepAlive);
            return;
        }
        stream(ctx, version, type, head ? null : body, keepAlive);
    }

    /** Chunked for HTTP/1.1; for HTTP/1.0, which has no chunks, the body ends where the connection does. */
    private void stream(ChannelHandlerContext ctx, HttpVersion version, String type, StreamedBody body,
                        boolean keepAlive) {
        boolean chunked = version.equals(HttpVersion.HTTP_1_1);
        boolean keep = keepAlive && chunked;
        HttpResponse r = new DefaultHttpResponse(version, HttpResponseStatus.OK);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (chunked) {
            r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        HttpUtil.setKeepAlive(r, keep);
        if (body == null) {
            // HEAD: the headers a GET gets, then no body at all.
            ctx.write(r);
            finished(ctx, ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keep);
            return;
        }
        shared.streams++;
        ScheduledFuture<?> cut = ctx.executor().schedule(() -> {
            log.debug("metrics: closing {}: response not taken within {}", ctx.channel().remoteAddress(),
                    shared.limits.responseTimeout());
            ctx.close();
        }, shared.limits.responseTimeout().toNanos(), TimeUnit.NANOSECONDS);
        ctx.write(r);
        ChannelFuture f = ctx.writeAndFlush(new Chunks(body));
        f.addListener(x -> {
            shared.streams--;
            cut.cancel(false);
        });
        finished(ctx, f, keep);
    }

    private void finish(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        HttpUtil.setKeepAlive(r, keepAlive);
        finished(ctx, ctx.writeAndFlush(r), keepAlive);
    }

    private void finished(ChannelHandlerContext ctx, ChannelFuture written, boolean keepAlive) {
        written.addListener((ChannelFuture f) -> {
            if (!f.isSuccess() || !keepAlive) {
                f.channel().close();
                return;
            }
            deadline.awaitNext();
            f.channel().config().setAutoRead(true);
        });
    }

    private static FullHttpResponse text(HttpVersion version, HttpResponseStatus status, String body) {
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(version, status, content);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, TEXT)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return r;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("metrics: closing {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /** A body as HTTP chunks of about {@link #CHUNK} bytes, the last one a {@link LastHttpContent}. */
    private static final class Chunks implements ChunkedInput<HttpContent> {
        private final StreamedBody body;
        private boolean ended;
        private long progress;

        Chunks(StreamedBody body) {
            this.body = body;
        }

        @Override
        public boolean isEndOfInput() {
            return ended;
        }

        @Override
        public void close() {
            ended = true;
        }

        @Deprecated
        @Override
        public HttpContent readChunk(ChannelHandlerContext ctx) {
            return readChunk(ctx.alloc());
        }

        @Override
        public HttpContent readChunk(ByteBufAllocator allocator) {
            if (ended) {
                return null;
            }
            ByteBuf buf = allocator.buffer(CHUNK + CHUNK / 4);
            boolean more;
            try {
                more = body.writeSome(buf, CHUNK);
            } catch (RuntimeException e) {
                buf.release();
                throw e;
            }
            progress += buf.readableBytes();
            if (more) {
                return new DefaultHttpContent(buf);
            }
            ended = true;
            return new DefaultLastHttpContent(buf);
        }

        @Override
        public long length() {
            return -1;
        }

        @Override
        public long progress() {
            return progress;
        }
    }
}

package dev.portico.examples.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's HTTP endpoint: {@code GET /metrics} (Prometheus text format), {@code GET /status}
 * (JSON), {@code GET /healthz} ({@code ok}); {@code HEAD} of each too. Anything else is 404, another
 * method 405.
 *
 * <p>It runs on one NIO event loop thread of its own, not on the proxy's I/O loops: serialising
 * ten thousand frontends takes tens of milliseconds, which must not stall forwarding, and a
 * monitoring endpoint needs no native transport. Nothing on that thread blocks: a client that is
 * slow to send its request head is closed after {@link Limits#headTimeout}, one that does not take
 * its response after {@link Limits#responseTimeout}, an idle keep-alive connection after
 * {@link Limits#idleTimeout}; past {@link Limits#maxConnections} a new connection is closed at once.
 * Large bodies are written a chunk at a time while the client takes them.
 */
public final class MetricsServer implements AutoCloseable {

    /** The Prometheus text exposition format's content type. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger log = LoggerFactory.getLogger("portico.metrics");

    /**
     * What one client may hold.
     *
     * @param headTimeout     from the first byte of a request to the end of its head
     * @param idleTimeout     a keep-alive connection waiting for its next request (or a new one for its first)
     * @param responseTimeout a streamed response the client does not read to the end
     * @param maxConnections  open at once; more are closed as they come
     * @param maxStreams      {@code /metrics} and {@code /status} bodies being written at once; more get 503
     * @param maxBody         request body bytes read and dropped; a larger one is 413
     */
    record Limits(Duration headTimeout, Duration idleTimeout, Duration responseTimeout, int maxConnections,
                  int maxStreams, int maxBody) {
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(60), 64, 4, 8192);
    }

    private final EventLoopGroup group;
    private final Channel server;

    private MetricsServer(EventLoopGroup group, Channel server) {
        this.group = group;
        this.server = server;
    }

    /**
     * Binds {@code address} and starts serving.
     *
     * @throws IOException when the address cannot be bound (in use, not local, permission denied)
     */
    public static MetricsServer start(InetSocketAddress address, PorticoMetrics metrics) throws IOException {
        return start(address, metrics, Limits.DEFAULT);
    }

    static MetricsServer start(InetSocketAddress address, PorticoMetrics metrics, Limits limits) throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("portico-metrics", true), NioIoHandler.newFactory());
        HttpEndpoint.Shared shared = new HttpEndpoint.Shared(metrics, limits);
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 64)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // One thread serves every connection, so the count needs no synchronisation.
                        if (shared.connections >= limits.maxConnections()) {
                            log.debug("metrics: {} connections open, closing {}", shared.connections, ch.remoteAddress());
                            ch.close();
                            return;
                        }
                        shared.connections++;
                        ch.closeFuture().addListener(f -> shared.connections--);
                        RequestDeadline deadline = new RequestDeadline(limits);
                        ch.pipeline().addLast(deadline,
                                new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(4096)
                                        .setMaxHeaderSize(8192)
                                        .setMaxChunkSize(8192)),
                                new ChunkedWriteHandler(),
                                new HttpEndpoint(shared, deadline));
                    }
                });
        try {
            Channel server = b.bind(address).sync().channel();
            return new MetricsServer(group, server);
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The address actually bound (the port is known here when port 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Stops serving at once; a scrape in progress is cut. */
    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

package dev.portico.netty;

import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyEvents;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the engine shares with everything it creates (frontends, listeners, relays, probes): one
 * immutable value handed down, so nothing holds the engine itself and nothing can reach back into
 * its running state.
 *
 * @param acceptorGroups where listeners accept: with SO_REUSEPORT one socket per event loop, each
 *                       accepting onto its own loop (the kernel spreads connections, no hand-off
 *                       between threads); else one socket whose connections spread over all loops
 * @param readSizing     only configuration: each channel's sizing state lives in the handle it
 *                       makes, so one instance serves every channel
 * @param connections    the engine-wide connection count and limit
 * @param sniHelloMaxBytes    the largest ClientHello a listener shared by server name reads
 * @param sniNonTlsToCatchAll whether bytes that are not TLS go to a shared bind's catch-all
 *                            frontend (else they are closed)
 */
record EngineContext(Transport transport, EventLoopGroup group, List<EventLoopGroup> acceptorGroups,
                     AddressResolverGroup<InetSocketAddress> resolver, ByteBufAllocator allocator,
                     WriteBufferWaterMark waterMark, AdaptiveRecvByteBufAllocator readSizing,
                     boolean reusePort, boolean freebind, ProxyEvents events, List<Cidr> defaultAllow,
                     List<Cidr> defaultDeny, ConnectionLimit connections, LoopGuard loopGuard,
                     Duration recheckInterval, Duration sniHelloTimeout, int sniHelloMaxBytes,
                     boolean sniNonTlsToCatchAll) {

    EngineContext {
        acceptorGroups = List.copyOf(acceptorGroups);
        defaultAllow = List.copyOf(defaultAllow);
        defaultDeny = List.copyOf(defaultDeny);
    }

    /** A per-channel read allocator that counts the bytes read. */
    CountingRecvAllocator countingAllocator() {
        return new CountingRecvAllocator(readSizing);
    }

    // TCP_NODELAY is not set here: Netty turns it on for every socket channel it creates, and
    // setting it again costs a system call per connection.
    /** A listener whose accepted channels {@code init} sets up (a relay, or an SNI router first). */
    ServerBootstrap serverBootstrap(EventLoopGroup loops, ChannelHandler acceptErrors, Consumer<Channel> init) {
        ServerBootstrap sb = new ServerBootstrap()
                .group(loops, loops)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(acceptErrors)
                .option(ChannelOption.ALLOCATOR, allocator)
                .childOption(ChannelOption.ALLOCATOR, allocator)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        init.accept(ch);
                    }
                });
        if (reusePort) {
            sb.option(transport == Transport.EPOLL ? EpollChannelOption.SO_REUSEPORT
                    : IoUringChannelOption.SO_REUSEPORT, true);
        }
        if (freebind) {
            sb.option(transport == Transport.EPOLL ? EpollChannelOption.IP_FREEBIND
                    : IoUringChannelOption.IP_FREEBIND, true);
        }
        return sb;
    }

    /**
     * A channel for a connection to a backend of {@code cfg} at {@code remote}, with a backend
     * connection's options and {@code handler}, not registered yet: what a {@code Bootstrap} would
     * make, without the option and attribute maps it builds and copies again for every connect.
     *
     * @throws io.netty.channel.ChannelException when no socket can be opened (no descriptor left)
     */
    Channel backendChannel(Frontend cfg, RecvByteBufAllocator reads, ChannelHandler handler, InetSocketAddress remote) {
        SocketChannel ch = transport.newSocketChannel(remote);
        SocketChannelConfig c = ch.config();
        c.setAllocator(allocator);
        c.setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, cfg.connectTimeout().toMillis()));
        c.setAllowHalfClosure(true);
        c.setAutoRead(false);
        c.setWriteBufferWaterMark(waterMark);
        c.setRecvByteBufAllocator(reads);
        ch.pipeline().addLast(handler);
        return ch;
    }

    /**
     * Registers {@code ch} with {@code loop}, the caller's own, and connects it to {@code remote},
     * resolving a host name first. The connect call is made at once, not queued as a task as a
     * {@code Bootstrap} does; the returned future completes on {@code loop}, and a failed connect
     * closes the channel.
     */
    ChannelFuture connectBackend(EventLoop loop, Channel ch, InetSocketAddress remote) {
        ChannelPromise connected = new DefaultChannelPromise(ch, loop);
        connected.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        loop.register(ch).addListener(registered -> {
            if (!registered.isSuccess()) {
                // Netty has closed the channel.
                connected.tryFailure(registered.cause());
            } else if (!remote.isUnresolved()) {
                ch.connect(remote, connected);
            } else {
                Future<InetSocketAddress> resolved = resolver.getResolver(loop).resolve(remote);
                resolved.addListener(done -> {
                    if (!resolved.isSuccess()) {
                        connected.tryFailure(resolved.cause());
                    } else if (!connected.isDone()) {
                        ch.connect(resolved.getNow(), connected);
                    }
                });
            }
        });
        return connected;
    }
}

package dev.portico.netty;

import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyEvents;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.resolver.AddressResolverGroup;
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

    /** A connection to a backend of {@code cfg}, on the client's own event loop. */
    Bootstrap backendBootstrap(EventLoop loop, Frontend cfg) {
        return new Bootstrap()
                .group(loop)
                .channel(transport.socketChannelClass())
                .resolver(resolver)
                .option(ChannelOption.ALLOCATOR, allocator)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, cfg.connectTimeout().toMillis()))
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark);
    }
}

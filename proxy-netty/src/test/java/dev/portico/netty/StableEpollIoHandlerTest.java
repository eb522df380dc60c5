package dev.portico.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portico.api.fixtures.TcpServer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The epoll handler the engine runs on gives the kernel one interest set per descriptor and loop
 * turn, and still delivers every event: counted on both sides of it over real connections.
 */
class StableEpollIoHandlerTest {

    @Test
    void everyInterestSetOfTheUsualFlagsIsOneSharedObjectWithItsValue() {
        int[] flags = {EpollIoOps.EPOLLIN.value(), EpollIoOps.EPOLLOUT.value(), EpollIoOps.EPOLLERR.value(),
            EpollIoOps.EPOLLRDHUP.value(), EpollIoOps.EPOLLET.value()};
        for (int combination = 0; combination < 1 << flags.length; combination++) {
            int value = 0;
            for (int f = 0; f < flags.length; f++) {
                if ((combination & 1 << f) != 0) {
                    value |= flags[f];
                }
            }
            EpollIoOps ops = StableEpollIoHandler.ops(value);
            assertEquals(value, ops.value());
            assertTrue(ops == StableEpollIoHandler.ops(value), "one object for " + Integer.toHexString(value));
        }
        // Another flag: still the right set, made as Netty makes it.
        int other = EpollIoOps.EPOLLIN.value() | 0x40;
        assertEquals(other, StableEpollIoHandler.ops(other).value());
    }

    @Test
    void aConnectionsInterestSetsReachTheKernelLessOftenThanNettyChangesThemAndEveryByteArrives() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        Counting kernel = new Counting(EpollIoHandler.newFactory());
        Counting netty = new Counting(StableEpollIoHandler.wrap(kernel));
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, netty);
        try (TcpServer echo = new TcpServer(StableEpollIoHandlerTest::echoUntilEof)) {
            for (int i = 0; i < 50; i++) {
                String message = "connection " + i + " " + "x".repeat(i * 100);
                assertEquals(message, roundTrip(group, echo, message));
            }
            assertTrue(echo.failures.isEmpty(), () -> "echo server failed: " + echo.failures);
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
        // Netty resubmits an unchanged set after every connect and changes a connecting socket's set
        // three times within one turn; each of those is a system call without the batching.
        assertTrue(kernel.submits.get() < netty.submits.get(),
                () -> "sets given to the kernel: " + kernel.submits + ", submitted by Netty: " + netty.submits);
    }

    private static void echoUntilEof(java.net.Socket s) throws Exception {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            in.transferTo(out);
        }
    }

    /** Connects, writes, half-closes, and reads the echo up to the server's FIN. */
    private static String roundTrip(MultiThreadIoEventLoopGroup group, TcpServer echo, String message) throws Exception {
        CompletableFuture<String> answer = new CompletableFuture<>();
        StringBuilder received = new StringBuilder();
        Bootstrap b = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                received.append(msg.toString(StandardCharsets.UTF_8));
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                                    answer.complete(received.toString());
                                    ctx.close();
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                answer.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
                    }
                });
        Channel ch = b.connect(new java.net.InetSocketAddress("127.0.0.1", echo.port())).sync().channel();
        ch.writeAndFlush(Unpooled.copiedBuffer(message, StandardCharsets.UTF_8)).sync();
        ((SocketChannel) ch).shutdownOutput().sync();
        try {
            return answer.get(30, TimeUnit.SECONDS);
        } finally {
            ch.close().sync();
        }
    }

    /** Counts the interest sets submitted through the handlers a factory makes. */
    private static final class Counting implements IoHandlerFactory {
        final AtomicInteger submits = new AtomicInteger();
        private final IoHandlerFactory inner;

        Counting(IoHandlerFactory inner) {
            this.inner = inner;
        }

        @Override
        public IoHandler newHandler(ThreadAwareExecutor executor) {
            IoHandler handler = inner.newHandler(executor);
            return new IoHandler() {
                @Override
                public void initialize() {
                    handler.initialize();
                }

                @Override
                public int run(IoHandlerContext context) {
                    return handler.run(context);
                }

                @Override
                public void prepareToDestroy() {
                    handler.prepareToDestroy();
                }

                @Override
                public void destroy() {
                    handler.destroy();
                }

                @Override
                public IoRegistration register(IoHandle handle) throws Exception {
                    IoRegistration registration = handler.register(handle);
                    return new IoRegistration() {
                        @Override
                        public <T> T attachment() {
                            return registration.attachment();
                        }

                        @Override
                        public long submit(IoOps ops) {
                            submits.incrementAndGet();
                            return registration.submit(ops);
                        }

                        @Override
                        public boolean isValid() {
                            return registration.isValid();
                        }

                        @Override
                        public boolean cancel() {
                            return registration.cancel();
                        }
                    };
                }

                @Override
                public void wakeup() {
                    handler.wakeup();
                }

                @Override
                public boolean isCompatible(Class<? extends IoHandle> handleType) {
                    return handler.isCompatible(handleType);
                }
            };
        }

        @Override
        public boolean isChangingThreadSupported() {
            return inner.isChangingThreadSupported();
        }
    }
}

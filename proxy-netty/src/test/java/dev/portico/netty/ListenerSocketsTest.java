package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** How the sockets of one bind fail. */
class ListenerSocketsTest extends EngineTestSupport {

    /**
     * Out of descriptors, Netty cannot even create the listening socket and hands back a channel
     * that was never registered: the bind is reported as failed (and retried by its listener), not
     * thrown out of the apply.
     */
    @Test
    void aSocketThatCouldNotBeCreatedIsAFailedBindNotAnException() throws Exception {
        try (NettyForwardingEngine engine = newEngine("nio")) {
            NioServerSocketChannel never = new NioServerSocketChannel();
            ListenerSockets.Bound bound = ListenerSockets.open(engine.context(), new InetSocketAddress("127.0.0.1", 0),
                    false, (loops, target) -> new DefaultChannelPromise(never, GlobalEventExecutor.INSTANCE)
                            .setFailure(new IOException("accept(..) failed: Too many open files")));
            assertThat(bound.channels()).isEmpty();
            assertThat(bound.failure()).startsWith("bind to /127.0.0.1:0 failed: ").contains("too many open files");
            assertThat(never.isOpen()).isFalse();
        }
    }
}

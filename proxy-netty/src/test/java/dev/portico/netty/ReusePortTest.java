package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.fixtures.TcpServer;
import dev.portico.api.DesiredState;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** With SO_REUSEPORT every I/O thread gets its own listening socket on the same address. */
class ReusePortTest extends EngineTestSupport {

    private static final int CONNECTIONS = 40;

    /** What the listener sockets of one bind saw: the loops that served, and hand-offs between loops. */
    private record Accepts(List<Channel> sockets, Set<EventLoop> serving, List<String> handOffs) {
    }

    /**
     * Opens a bind the way a frontend does (ListenerSockets over the engine's acceptor groups and
     * server bootstrap), connects {@link #CONNECTIONS} times and notes, for every accepted
     * connection, whether it was registered on the loop of the socket that accepted it.
     */
    private static Accepts accept(NettyForwardingEngine engine) throws Exception {
        Set<EventLoop> serving = ConcurrentHashMap.newKeySet();
        List<String> handOffs = new CopyOnWriteArrayList<>();
        AtomicInteger accepted = new AtomicInteger();
        ListenerSockets.Bound bound = ListenerSockets.open(engine.context(), new InetSocketAddress("127.0.0.1", 0), false,
                (loops, target) -> engine.context().serverBootstrap(loops, new ChannelInboundHandlerAdapter(), ch -> {
                    serving.add(ch.eventLoop());
                    if (ch.eventLoop() != ch.parent().eventLoop()) {
                        handOffs.add(ch.parent().eventLoop() + " handed " + ch + " to " + ch.eventLoop());
                    }
                    accepted.incrementAndGet();
                    ch.close();
                }).bind(target));
        assertThat(bound.failure()).isNull();
        try {
            InetSocketAddress addr = (InetSocketAddress) bound.channels().get(0).localAddress();
            for (int i = 0; i < CONNECTIONS; i++) {
                try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
                    s.setSoTimeout((int) WAIT.toMillis());
                    assertThat(s.getInputStream().read()).isEqualTo(-1); // accepted, then closed
                }
            }
            awaitTrue(() -> accepted.get() == CONNECTIONS);
            return new Accepts(bound.channels(), serving, handOffs);
        } finally {
            bound.channels().forEach(Channel::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void byDefaultEachLoopAcceptsOnItsOwnSocketAndServesWhatItAccepted(String transport) throws Exception {
        try (NettyForwardingEngine engine = newEngine(transport)) {
            Accepts a = accept(engine);
            assertThat(a.sockets()).hasSize(2);
            assertThat(a.handOffs()).isEmpty();
            // The kernel spreads connections over the sockets by their addresses and ports.
            assertThat(a.serving()).hasSize(2);
        }
    }

    @Test
    void nioAcceptsOnOneSocketForAllLoops() throws Exception {
        try (NettyForwardingEngine engine = newEngine("nio")) {
            Accepts a = accept(engine);
            assertThat(a.sockets()).hasSize(1);
            assertThat(a.serving()).hasSize(2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void everyThreadAcceptsOnTheSamePortAndServes(String transport) throws Exception {
        try (TcpServer backend = TcpServer.echo();
             NettyForwardingEngine engine = engineBuilder(transport).reusePort(true).build()) {
            engine.apply(DesiredState.of(frontend("rp", backend.address()).build()));
            for (int i = 0; i < 20; i++) {
                try (Socket s = connect(engine, "rp")) {
                    EngineApplyTest.roundTrip(s, "connection " + i);
                }
            }
            // Removing the frontend closes every one of its sockets.
            var addr = addressOf(engine, "rp");
            engine.apply(DesiredState.EMPTY);
            awaitTrue(() -> {
                try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
                    return false;
                } catch (java.net.ConnectException refused) {
                    return true;
                }
            });
            // Its last connections finish draining, then it is gone.
            awaitTrue(() -> engine.status().frontends().isEmpty());
        }
    }
}

package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import dev.portico.api.DesiredState;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** With SO_REUSEPORT every I/O thread gets its own listening socket on the same address. */
class ReusePortTest extends EngineTestSupport {

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

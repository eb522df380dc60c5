package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Cidr;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Protocol;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a UDP frontend counts (status, hence metrics): datagrams and bytes each way, drops by reason, flows. */
class UdpCountersTest extends EngineTestSupport {

    static Frontend.Builder udp(String name, String... backends) {
        return frontend(name, backends).protocol(Protocol.UDP).health(HealthCheck.DEFAULT.withEnabled(false));
    }

    static EngineStatus.UdpStatus udpStatus(NettyForwardingEngine engine, String name) {
        return status(engine, name).udp();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void datagramsAndPayloadBytesAreCountedEachWay(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 3); NettyForwardingEngine engine = newEngine(mode)) {
            apply(engine, udp("dns", a.address()).build());
            try (UdpClient c = new UdpClient(addressOf(engine, "dns"))) {
                for (int i = 0; i < 4; i++) {
                    c.send("q" + i);
                    for (int k = 0; k < 3; k++) {
                        assertThat(c.receiveText()).isEqualTo("a:q" + i);
                    }
                }
            }
            EngineStatus.FrontendStatus s = status(engine, "dns");
            assertThat(s.protocol()).isEqualTo(Protocol.UDP);
            assertThat(s.totalConnections()).isEqualTo(1);
            awaitTrue(() -> udpStatus(engine, "dns").datagramsToClient() == 12);
            assertThat(udpStatus(engine, "dns")).isEqualTo(new EngineStatus.UdpStatus(4, 12, 8, 48, 0, 0, 0, 0, 0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void droppedDatagramsAreCountedByReason(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); NettyForwardingEngine engine = newEngine(mode)) {
            apply(engine, udp("denied", a.address()).deny(List.of(Cidr.parse("127.0.0.1/32"))).build(),
                    udp("empty").build(),
                    udp("limited", a.address()).maxConnections(1).build());
            try (UdpClient c1 = new UdpClient(addressOf(engine, "denied"));
                 UdpClient c2 = new UdpClient(addressOf(engine, "empty"));
                 UdpClient c3 = new UdpClient(addressOf(engine, "limited"));
                 UdpClient c4 = new UdpClient(addressOf(engine, "limited"))) {
                c1.send("1");
                c1.send("2");
                c2.send("3");
                assertThat(c3.ask("4")).isEqualTo("a:4");
                c4.send("5");
                c4.send("6");
                c4.send("7");
                awaitTrue(() -> udpStatus(engine, "denied").droppedDenied() == 2);
                awaitTrue(() -> udpStatus(engine, "empty").droppedNoBackend() == 1);
                awaitTrue(() -> udpStatus(engine, "limited").droppedFlowLimit() == 3);
            }
            assertThat(udpStatus(engine, "denied")).isEqualTo(new EngineStatus.UdpStatus(0, 0, 0, 0, 0, 0, 2, 0, 0));
            assertThat(udpStatus(engine, "empty")).isEqualTo(new EngineStatus.UdpStatus(0, 0, 0, 0, 1, 0, 0, 0, 0));
            assertThat(udpStatus(engine, "limited")).isEqualTo(new EngineStatus.UdpStatus(1, 1, 1, 3, 0, 3, 0, 0, 0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aTcpFrontendHasNoDatagramCounters(String mode) throws Exception {
        try (NettyForwardingEngine engine = newEngine(mode)) {
            apply(engine, frontend("web", "127.0.0.1:1").build());
            assertThat(status(engine, "web").protocol()).isEqualTo(Protocol.TCP);
            assertThat(status(engine, "web").udp()).isNull();
        }
    }

    /**
     * 100,000 request/response datagrams from 50 clients at once through one frontend whose flow
     * table holds at most 50 flows: every datagram is answered, the table never holds more, and a
     * 51st client is refused while the 50 are open.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void hundredThousandDatagramsFromFiftyClientsStayWithinTheFlowTableBound(String mode) throws Exception {
        int clients = 50;
        int perClient = 2_000;
        try (UdpTestBackend echo = UdpTestBackend.echo(); NettyForwardingEngine engine = newEngine(mode)) {
            apply(engine, udp("dns", echo.address()).maxConnections(clients).build());
            InetSocketAddress fe = addressOf(engine, "dns");
            List<UdpClient> open = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong mostFlows = new AtomicLong();
            Thread sampler = new Thread(() -> {
                while (running.get()) {
                    mostFlows.accumulateAndGet(status(engine, "dns").activeConnections(), Math::max);
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            });
            try {
                for (int i = 0; i < clients; i++) {
                    open.add(new UdpClient(fe));
                }
                sampler.start();
                List<Future<Integer>> answered = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    UdpClient c = open.get(i);
                    int id = i;
                    answered.add(pool.submit(() -> {
                        int n = 0;
                        for (int k = 0; k < perClient; k++) {
                            String q = id + "/" + k;
                            if (c.ask(q).equals(q)) {
                                n++;
                            }
                        }
                        return n;
                    }));
                }
                long total = 0;
                for (Future<Integer> f : answered) {
                    total += f.get(5, TimeUnit.MINUTES);
                }
                assertThat(total).isEqualTo((long) clients * perClient);
                try (UdpClient extra = new UdpClient(fe)) {
                    extra.send("one too many");
                    awaitTrue(() -> udpStatus(engine, "dns").droppedFlowLimit() == 1);
                }
            } finally {
                running.set(false);
                sampler.join(10_000);
                pool.shutdownNow();
                open.forEach(UdpClient::close);
            }
            assertThat(mostFlows.get()).isBetween(1L, (long) clients);
            EngineStatus.FrontendStatus s = status(engine, "dns");
            assertThat(s.totalConnections()).isEqualTo(clients);
            assertThat(s.udp().datagramsFromClient()).isEqualTo((long) clients * perClient);
            awaitTrue(() -> udpStatus(engine, "dns").datagramsToClient() == (long) clients * perClient);
            assertThat(echo.sourcePorts).hasSize(clients);
        }
    }
}

package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.Cidr;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Protocol;
import dev.portico.api.ProxyEvents;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UdpForwardingTest extends EngineTestSupport {

    final List<String> refusals = new CopyOnWriteArrayList<>();
    final List<String> opened = new CopyOnWriteArrayList<>();

    final ProxyEvents events = new ProxyEvents() {
        @Override
        public void onConnectionOpened(ConnectionInfo c) {
            opened.add(c.client() + " -> " + c.backend().address());
        }

        @Override
        public void onConnectionClosed(ConnectionInfo c, long in, long out, long ms, CloseReason reason) {
            recorder.onConnectionClosed(c, in, out, ms, reason);
        }

        @Override
        public void onConnectFailed(String frontend, Backend backend, String reason) {
            recorder.onConnectFailed(frontend, backend, reason);
        }

        @Override
        public void onConnectionRefused(String frontend, InetSocketAddress client, String reason) {
            refusals.add(reason);
        }
    };

    NettyForwardingEngine udpEngine(String mode) {
        return engineBuilder(mode).events(events).build();
    }

    static Frontend.Builder udp(String name, String... backends) {
        // Probes off and a long hold, so a backend marked down by ICMP stays down during the test.
        return frontend(name, backends).protocol(Protocol.UDP)
                .health(HealthCheck.DEFAULT.withEnabled(false).withInterval(Duration.ofMinutes(5)));
    }

    static String tag(String answer) {
        return answer.substring(0, answer.indexOf(':'));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void requestsOfOneFlowStickToOneBackend(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); UdpTestBackend b = new UdpTestBackend("b", 1);
             NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("dns", a.address(), b.address()).build());
            try (UdpClient c = new UdpClient(addressOf(engine, "dns"))) {
                Set<String> tags = new HashSet<>();
                for (int i = 0; i < 20; i++) {
                    String answer = c.ask("q" + i);
                    assertThat(answer).endsWith(":q" + i);
                    tags.add(tag(answer));
                }
                assertThat(tags).hasSize(1);
            }
            assertThat(a.sourcePorts.size() + b.sourcePorts.size()).isEqualTo(1);
            assertThat(status(engine, "dns").activeConnections()).isEqualTo(1);
            assertThat(engine.status().activeConnections()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void manyClientPortsSpreadOverBackends(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); UdpTestBackend b = new UdpTestBackend("b", 1);
             NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("dns", a.address(), b.address()).build());
            InetSocketAddress fe = addressOf(engine, "dns");
            // All open at once: a closed client's port could come back as a later client's.
            List<UdpClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    UdpClient c = new UdpClient(fe);
                    clients.add(c);
                    assertThat(c.ask("q" + i)).endsWith(":q" + i);
                }
            } finally {
                clients.forEach(UdpClient::close);
            }
            // Random balancing: all 40 on one backend has a chance of 2^-39.
            assertThat(a.sourcePorts).isNotEmpty();
            assertThat(b.sourcePorts).isNotEmpty();
            assertThat(a.sourcePorts.size() + b.sourcePorts.size()).isEqualTo(40);
            assertThat(status(engine, "dns").totalConnections()).isEqualTo(40);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void everyAnswerOfABackendReachesTheClient(String mode) throws Exception {
        // More answers than one read batch holds (16) and than the write mark admits unflushed (4).
        try (UdpTestBackend a = new UdpTestBackend("a", 40); NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("stream", a.address()).build());
            try (UdpClient c = new UdpClient(addressOf(engine, "stream"))) {
                for (int i = 0; i < 10; i++) {
                    c.send("q" + i);
                    for (int k = 0; k < 40; k++) {
                        assertThat(c.receiveText()).isEqualTo("a:q" + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void datagramBoundariesAreKeptExactly(String mode) throws Exception {
        try (UdpTestBackend echo = UdpTestBackend.echo(); NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("echo", echo.address()).build());
            Random random = new Random(12);
            try (UdpClient c = new UdpClient(addressOf(engine, "echo"))) {
                for (int size : new int[] {1, 1_400, 60 * 1024, 1, 65_507}) {
                    byte[] data = new byte[size];
                    random.nextBytes(data);
                    c.send(data);
                    assertThat(c.receive()).isEqualTo(data);
                }
                // Several at once: each stays one datagram, none merged or split.
                List<byte[]> sent = new ArrayList<>();
                for (int size : new int[] {1, 1_400, 60 * 1024, 7}) {
                    byte[] data = new byte[size];
                    random.nextBytes(data);
                    sent.add(data);
                    c.send(data);
                }
                for (byte[] data : sent) {
                    assertThat(c.receive()).isEqualTo(data);
                }
            }
            assertThat(status(engine, "echo").activeConnections()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void anIdleFlowEndsAndTheNextDatagramOpensANewOne(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("dns", a.address()).idleTimeout(Duration.ofMillis(300)).build());
            try (UdpClient c = new UdpClient(addressOf(engine, "dns"))) {
                assertThat(c.ask("one")).isEqualTo("a:one");
                awaitTrue(() -> closes.contains(CloseReason.IDLE_TIMEOUT));
                assertThat(status(engine, "dns").activeConnections()).isZero();
                // Payload bytes each way: "one" in, "a:one" out.
                assertThat(bytesFromClient).containsExactly(3L);
                assertThat(bytesToClient).containsExactly(5L);
                assertThat(c.ask("two")).isEqualTo("a:two");
            }
            assertThat(a.sourcePorts).hasSize(2);
            assertThat(status(engine, "dns").totalConnections()).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void theFlowLimitRefusesNewFlowsAndKeepsOpenOnes(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("dns", a.address()).maxConnections(2).build());
            InetSocketAddress fe = addressOf(engine, "dns");
            try (UdpClient c1 = new UdpClient(fe); UdpClient c2 = new UdpClient(fe); UdpClient c3 = new UdpClient(fe)) {
                assertThat(c1.ask("1")).isEqualTo("a:1");
                assertThat(c2.ask("2")).isEqualTo("a:2");
                c3.send("3");
                awaitTrue(() -> refusals.contains("frontend connection limit of 2 reached"));
                assertThat(c1.ask("1b")).isEqualTo("a:1b");
                assertThat(c2.ask("2b")).isEqualTo("a:2b");
                assertThat(a.received.get()).isEqualTo(4);
                assertThat(status(engine, "dns").activeConnections()).isEqualTo(2);
                c3.socket.setSoTimeout(300);
                assertThrows(SocketTimeoutException.class, c3::receive);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aDeniedSourceOpensNoFlow(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("dns", a.address()).deny(List.of(Cidr.parse("127.0.0.1/32"))).build());
            try (UdpClient c = new UdpClient(addressOf(engine, "dns"))) {
                c.send("q");
                awaitTrue(() -> !refusals.isEmpty());
            }
            assertThat(a.received.get()).isZero();
            assertThat(status(engine, "dns").totalConnections()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void anApplyThatAddsABackendKeepsOpenFlows(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); UdpTestBackend b = new UdpTestBackend("b", 1);
             NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("dns", a.address()).build());
            InetSocketAddress fe = addressOf(engine, "dns");
            try (UdpClient old = new UdpClient(fe)) {
                assertThat(old.ask("before")).isEqualTo("a:before");
                apply(engine, udp("dns", a.address(), b.address()).build());
                assertThat(addressOf(engine, "dns")).isEqualTo(fe);
                for (int i = 0; i < 10; i++) {
                    assertThat(old.ask("after" + i)).isEqualTo("a:after" + i);
                }
                List<UdpClient> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 30; i++) {
                        UdpClient c = new UdpClient(fe);
                        clients.add(c);
                        assertThat(c.ask("new" + i)).endsWith(":new" + i);
                    }
                } finally {
                    clients.forEach(UdpClient::close);
                }
            }
            assertThat(closes).isEmpty();
            assertThat(b.sourcePorts).isNotEmpty();
            // The old flow kept its one backend socket through the apply.
            assertThat(a.sourcePorts.size() + b.sourcePorts.size()).isEqualTo(31);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aBackendThatWentAwayIsLeftForAnother(String mode) throws Exception {
        try (UdpTestBackend b = new UdpTestBackend("b", 1); NettyForwardingEngine engine = udpEngine(mode)) {
            UdpTestBackend a = new UdpTestBackend("a", 1);
            String aAddress = a.address();
            apply(engine, udp("dns", a.address()).build());
            InetSocketAddress fe = addressOf(engine, "dns");
            try (UdpClient c = new UdpClient(fe)) {
                assertThat(c.ask("first")).isEqualTo("a:first");
                apply(engine, udp("dns", a.address(), b.address()).build());
                a.close();
                // Lost: nothing listens at a; the ICMP answer marks a down and ends the flow.
                c.send("lost");
                awaitTrue(() -> connectFailures.contains(aAddress + ": port unreachable (ICMP)"));
                awaitTrue(() -> status(engine, "dns").activeConnections() == 0);
                assertThat(closes).containsExactly(CloseReason.RESET);
                assertThat(status(engine, "dns").backends()).filteredOn(s -> !s.healthy())
                        .extracting(s -> s.backend().address()).containsExactly(aAddress);
                assertThat(c.ask("again")).isEqualTo("b:again");
                for (int i = 0; i < 10; i++) {
                    try (UdpClient other = new UdpClient(fe)) {
                        assertThat(other.ask("q" + i)).isEqualTo("b:q" + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void removingTheFrontendEndsItsFlows(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); NettyForwardingEngine engine = udpEngine(mode)) {
            apply(engine, udp("dns", a.address()).build());
            try (UdpClient c = new UdpClient(addressOf(engine, "dns"))) {
                assertThat(c.ask("q")).isEqualTo("a:q");
            }
            apply(engine);
            awaitTrue(() -> closes.contains(CloseReason.SHUTDOWN));
            // Drained at the next listener re-check.
            awaitTrue(() -> engine.status().frontends().isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void tcpAndUdpFrontendsShareOnePort(String mode) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1); TcpServer tcp = TcpServer.echo();
             NettyForwardingEngine engine = udpEngine(mode)) {
            // A port nobody holds: taking the port of a listener this engine closes in the same apply
            // raced NIO's asynchronous close of it.
            int port = TcpServer.deadPort();
            BindAddress bind = BindAddress.host("127.0.0.1", port);
            var result = apply(engine, Frontend.builder(bind).name("dns-tcp").backend(tcp.address()).build(),
                    udp("dns-udp", a.address()).bind(bind).build());
            assertThat(result.failures()).isEmpty();
            try (UdpClient c = new UdpClient(new InetSocketAddress("127.0.0.1", port))) {
                assertThat(c.ask("udp")).isEqualTo("a:udp");
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write("tcp".getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("tcp");
            }
        }
    }
}

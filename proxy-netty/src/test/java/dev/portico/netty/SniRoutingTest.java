package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.api.Cidr;
import dev.portico.api.fixtures.TcpServer;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.DesiredState;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyEvents;
import dev.portico.netty.TlsPeers.Backend;
import dev.portico.netty.TlsPeers.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routing TLS connections by the server name in their ClientHello, with real TLS on both ends. */
class SniRoutingTest extends EngineTestSupport {
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final List<String> routedNames = new CopyOnWriteArrayList<>();
    private Backend grafana;
    private Backend apps;
    private Backend rest;
    private NettyForwardingEngine engine;
    private int port;

    @BeforeEach
    void backends() throws Exception {
        grafana = new Backend("grafana");
        apps = new Backend("apps");
        rest = new Backend("rest");
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
    }

    @AfterEach
    void stop() throws IOException {
        if (engine != null) {
            engine.close(Duration.ZERO);
        }
        grafana.close();
        apps.close();
        rest.close();
    }

    private NettyForwardingEngine start(String mode, Duration helloTimeout) {
        return start(mode, b -> b.sniHelloTimeout(helloTimeout));
    }

    private NettyForwardingEngine start(String mode, java.util.function.Consumer<NettyForwardingEngine.Builder> options) {
        ProxyEvents events = new ProxyEvents() {
            @Override
            public void onConnectionRefused(String frontend, InetSocketAddress client, String reason) {
                refusals.add(frontend + ": " + reason);
            }

            @Override
            public void onConnectionOpened(ConnectionInfo c) {
                routedNames.add(c.frontend() + " " + c.serverName());
            }
        };
        NettyForwardingEngine.Builder b = engineBuilder(mode).events(events);
        options.accept(b);
        engine = b.build();
        return engine;
    }

    private String bind() {
        return "127.0.0.1:" + port;
    }

    private Frontend named(String name, Backend b, String... sni) {
        return Frontend.builder(bind()).name(name).sni(List.of(sni)).backend(b.address()).build();
    }

    /** The issue's example: two named frontends and a catch-all on one port. */
    private List<Frontend> example() {
        return List.of(named("grafana", grafana, "grafana.example.org"),
                named("apps", apps, "*.apps.example.org"), named("everything-else", rest));
    }

    private InetSocketAddress proxy() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private void run(List<Frontend> frontends) {
        var r = engine.apply(new DesiredState(frontends));
        assertThat(r.failures()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void theIssueExampleRoutesThreeNamesToThreeBackendsOnOnePort(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        assertThat(TlsPeers.greeting(proxy(), "grafana.example.org")).isEqualTo("grafana");
        assertThat(TlsPeers.greeting(proxy(), "GRAFANA.Example.org")).isEqualTo("grafana");
        assertThat(TlsPeers.greeting(proxy(), "x.apps.example.org")).isEqualTo("apps");
        assertThat(TlsPeers.greeting(proxy(), "other.example.org")).isEqualTo("rest");
        // The wildcard covers one label: two labels fall through to the catch-all, as does no name.
        assertThat(TlsPeers.greeting(proxy(), "a.b.apps.example.org")).isEqualTo("rest");
        assertThat(TlsPeers.greeting(proxy(), "apps.example.org")).isEqualTo("rest");
        assertThat(TlsPeers.greeting(proxy(), null)).isEqualTo("rest");
        awaitTrue(() -> routedNames.size() == 7);
        assertThat(routedNames).contains("grafana grafana.example.org", "apps x.apps.example.org",
                "everything-else null");
        assertThat(engine.status().frontends()).extracting(EngineStatus.FrontendStatus::boundAddress)
                .containsOnly(proxy());
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void withoutACatchAllAnUnknownNameGetsAnAlertAndIsCounted(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(List.of(named("grafana", grafana, "grafana.example.org")));
        assertThatThrownBy(() -> TlsPeers.greeting(proxy(), "other.example.org"))
                .isInstanceOf(SSLException.class).hasMessageContaining("unrecognized_name");
        assertThatThrownBy(() -> TlsPeers.greeting(proxy(), null)).isInstanceOf(SSLException.class);
        awaitTrue(() -> refusals.size() == 2);
        assertThat(refusals).containsExactly("sni 127.0.0.1:" + port + ": no frontend for server name other.example.org",
                "sni 127.0.0.1:" + port + ": ClientHello without a server name and no catch-all frontend");
        assertThat(grafana.accepted.get()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aClientHelloWrittenOneByteAtATimeIsRouted(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        try (SSLSocket s = TlsPeers.connect(proxy(), "grafana.example.org", Wire.ONE_BYTE_AT_A_TIME)) {
            assertThat(TlsPeers.readLine(s)).isEqualTo("grafana");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aClientHelloSpreadOverManyRecordsIsRouted(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        try (SSLSocket s = TlsPeers.connect(proxy(), "z.apps.example.org", Wire.SPLIT_INTO_RECORDS)) {
            assertThat(TlsPeers.readLine(s)).isEqualTo("apps");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void plainTextIsClosedAtOnceWithoutReachingABackend(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        try (Socket s = new Socket()) {
            s.connect(proxy(), 10_000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(TlsPeers.drain(s)).isEmpty();
        }
        awaitTrue(() -> refusals.size() == 1);
        assertThat(refusals.get(0)).endsWith("not TLS: does not start with a TLS handshake record");
        assertThat(rest.accepted.get()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void anOversizedClientHelloIsClosed(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        try (Socket s = new Socket()) {
            s.connect(proxy(), 10_000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            // A ClientHello announcing 64 KiB, sent in full-size records: the proxy stops at 16 KiB.
            byte[] record = new byte[5 + 16384];
            record[0] = 22;
            record[1] = 3;
            record[2] = 1;
            record[3] = 0x40;
            record[4] = 0;
            record[5] = 1;
            record[6] = 1;
            try {
                for (int i = 0; i < 4; i++) {
                    out.write(record);
                    out.flush();
                }
            } catch (IOException e) {
                // The proxy may close while we still write: that is the behaviour under test.
            }
            assertClosed(s);
        }
        awaitTrue(() -> refusals.size() == 1);
        assertThat(refusals.get(0)).endsWith("ClientHello larger than 16384 bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aClientHelloThatDoesNotCompleteInTimeIsClosed(String mode) throws Exception {
        start(mode, Duration.ofMillis(300));
        run(example());
        try (Socket s = new Socket()) {
            s.connect(proxy(), 10_000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write(new byte[]{22, 3, 1, 0, 100, 1});
            s.getOutputStream().flush();
            assertClosed(s);
        }
        awaitTrue(() -> refusals.size() == 1);
        assertThat(refusals.get(0)).endsWith("no complete ClientHello within 300 ms");
        assertThat(rest.accepted.get()).isZero();
    }

    private static void assertClosed(Socket s) {
        try {
            InputStream in = s.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
        } catch (IOException e) {
            // A reset also says the proxy closed it.
            assertThat(e).isNotInstanceOf(java.net.SocketTimeoutException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void afterRoutingALargeTransferIsByteExactBothWays(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        byte[] data = new byte[8 * 1024 * 1024];
        new Random(13).nextBytes(data);
        try (SSLSocket s = TlsPeers.connect(proxy(), "grafana.example.org", Wire.PLAIN)) {
            assertThat(TlsPeers.readLine(s)).isEqualTo("grafana");
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.getInputStream().readNBytes(data.length);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            s.getOutputStream().write(data);
            s.getOutputStream().flush();
            assertThat(Arrays.equals(echoed.get(60, TimeUnit.SECONDS), data)).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aHundredParallelHandshakesToMixedNamesEachReachTheirBackend(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        String[][] cases = {{"grafana.example.org", "grafana"}, {"q.apps.example.org", "apps"}, {null, "rest"},
                {"x.example.org", "rest"}};
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String[] c = cases[i % cases.length];
                results.add(pool.submit(() -> c[1] + "=" + TlsPeers.greeting(proxy(), c[0])));
            }
            for (Future<String> f : results) {
                String[] got = f.get(60, TimeUnit.SECONDS).split("=");
                assertThat(got[1]).isEqualTo(got[0]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void perFrontendAccessRulesApplyToTheChosenFrontendOnly(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        List<Frontend> fs = new ArrayList<>(example());
        fs.set(0, fs.get(0).toBuilder().deny(List.of(Cidr.parse("127.0.0.0/8"))).build());
        run(fs);
        assertThatThrownBy(() -> TlsPeers.greeting(proxy(), "grafana.example.org")).isInstanceOf(IOException.class);
        assertThat(TlsPeers.greeting(proxy(), "x.apps.example.org")).isEqualTo("apps");
        assertThat(grafana.accepted.get()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void changingTheRoutesLeavesOpenConnectionsOfTheOthersAlone(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(example());
        try (SSLSocket open = TlsPeers.connect(proxy(), "grafana.example.org", Wire.PLAIN);
             SSLSocket toRemoved = TlsPeers.connect(proxy(), "x.apps.example.org", Wire.PLAIN)) {
            assertThat(TlsPeers.readLine(open)).isEqualTo("grafana");
            assertThat(TlsPeers.readLine(toRemoved)).isEqualTo("apps");
            // apps goes away, a new name comes, the catch-all goes: the open connections carry on.
            run(List.of(named("grafana", grafana, "grafana.example.org"), named("new", rest, "new.example.org")));
            assertThat(TlsPeers.greeting(proxy(), "new.example.org")).isEqualTo("rest");
            assertThatThrownBy(() -> TlsPeers.greeting(proxy(), "y.apps.example.org"))
                    .hasMessageContaining("unrecognized_name");
            for (SSLSocket s : List.of(open, toRemoved)) {
                s.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertThat(TlsPeers.readLine(s)).isEqualTo("still here");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aPlainFrontendGainsSniNeighboursAndLosesThemAgain(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        run(List.of(named("everything-else", rest)));
        try (SSLSocket open = TlsPeers.connect(proxy(), "grafana.example.org", Wire.PLAIN)) {
            assertThat(TlsPeers.readLine(open)).isEqualTo("rest");
            run(example());
            assertThat(TlsPeers.greeting(proxy(), "grafana.example.org")).isEqualTo("grafana");
            run(List.of(named("everything-else", rest)));
            assertThat(TlsPeers.greeting(proxy(), "grafana.example.org")).isEqualTo("rest");
            open.getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
            open.getOutputStream().flush();
            assertThat(TlsPeers.readLine(open)).isEqualTo("still here");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aUdpFrontendOnABindSharedByServerNameKeepsItsOwnSocket(String mode) throws Exception {
        start(mode, Duration.ofSeconds(10));
        try (UdpTestBackend quic = new UdpTestBackend("quic", 1)) {
            Frontend udp = Frontend.builder(bind()).name("quic").protocol(dev.portico.api.Protocol.UDP)
                    .backend(quic.address()).build();
            List<Frontend> all = new ArrayList<>(example());
            all.add(udp);
            run(all);
            assertThat(TlsPeers.greeting(proxy(), "grafana.example.org")).isEqualTo("grafana");
            assertThat(TlsPeers.greeting(proxy(), "other.example.org")).isEqualTo("rest");
            try (UdpClient c = new UdpClient(proxy())) {
                assertThat(c.ask("hello")).startsWith("quic:");
                // The TCP side stops sharing the bind: the UDP frontend is neither moved nor stopped.
                run(List.of(named("everything-else", rest), udp));
                assertThat(TlsPeers.greeting(proxy(), "grafana.example.org")).isEqualTo("rest");
                assertThat(c.ask("again")).startsWith("quic:");
            }
        }
    }

    /** A frontend on the shared bind whose backend speaks no TLS: it shows the bytes exactly as forwarded. */
    private Frontend plain(String name, TcpServer backend, String... sni) {
        return Frontend.builder(bind()).name(name).sni(List.of(sni)).backend(backend.address()).build();
    }

    private static byte[] exchange(InetSocketAddress to, byte[] send) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 10_000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write(send);
            s.getOutputStream().flush();
            return s.getInputStream().readNBytes(send.length);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void plainTextGoesToTheCatchAllUntouchedWhenTheOperatorAsksForIt(String mode) throws Exception {
        start(mode, b -> b.sniNonTlsToCatchAll(true));
        try (TcpServer echo = TcpServer.echo()) {
            run(List.of(named("grafana", grafana, "grafana.example.org"), plain("everything-else", echo)));
            byte[] request = "GET / HTTP/1.1\r\nHost: grafana.example.org\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertThat(exchange(proxy(), request)).isEqualTo(request);
            // TLS is still routed by name next to it.
            assertThat(TlsPeers.greeting(proxy(), "grafana.example.org")).isEqualTo("grafana");
            awaitTrue(() -> routedNames.size() == 2);
            assertThat(routedNames).contains("everything-else null");
            assertThat(refusals).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void plainTextIsClosedAndCountedWhenAskedForTheCatchAllButThereIsNone(String mode) throws Exception {
        start(mode, b -> b.sniNonTlsToCatchAll(true));
        run(List.of(named("grafana", grafana, "grafana.example.org")));
        try (Socket s = new Socket()) {
            s.connect(proxy(), 10_000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write("SSH-2.0-OpenSSH_9.6\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertClosed(s);
        }
        awaitTrue(() -> refusals.size() == 1);
        assertThat(refusals.get(0)).endsWith("not TLS: does not start with a TLS handshake record");
        assertThat(grafana.accepted.get()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aClientHelloLargerThanOneRecordIsRoutedAndForwardedByteExactUnderARaisedLimit(String mode) throws Exception {
        start(mode, b -> b.sniHelloMaxBytes(64 * 1024));
        try (TcpServer echo = TcpServer.echo()) {
            run(List.of(plain("big", echo, "big.example.org"), named("everything-else", rest)));
            // 20000 bytes of padding: more than one record can carry, so the hello spans two records.
            io.netty.buffer.ByteBuf records = ClientHelloTest.records(ClientHelloTest.hello("big.example.org", 20_000), 16384);
            byte[] wire = new byte[records.readableBytes()];
            records.readBytes(wire);
            assertThat(exchange(proxy(), wire)).isEqualTo(wire);
            awaitTrue(() -> routedNames.size() == 1);
            assertThat(routedNames).containsExactly("big big.example.org");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aClientHelloOverALoweredLimitIsClosedAndCounted(String mode) throws Exception {
        start(mode, b -> b.sniHelloMaxBytes(1024));
        try (TcpServer echo = TcpServer.echo()) {
            run(List.of(plain("big", echo, "big.example.org")));
            io.netty.buffer.ByteBuf records = ClientHelloTest.records(ClientHelloTest.hello("big.example.org", 2000), 500);
            byte[] wire = new byte[records.readableBytes()];
            records.readBytes(wire);
            try (Socket s = new Socket()) {
                s.connect(proxy(), 10_000);
                s.setSoTimeout(20_000);
                try {
                    s.getOutputStream().write(wire);
                    s.getOutputStream().flush();
                } catch (IOException e) {
                    // The proxy may close while we still write: that is the behaviour under test.
                }
                assertClosed(s);
            }
            awaitTrue(() -> refusals.size() == 1);
            assertThat(refusals.get(0)).endsWith("ClientHello larger than 1024 bytes");
        }
    }

    @org.junit.jupiter.api.Test
    void helloLimitsOutsideTheirRangeAreRefusedByTheBuilder() {
        assertThatThrownBy(() -> NettyForwardingEngine.builder().sniHelloMaxBytes(100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sniHelloMaxBytes");
        assertThatThrownBy(() -> NettyForwardingEngine.builder().sniHelloTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sniHelloTimeout");
    }
}

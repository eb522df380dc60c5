package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.api.AcceptProxy;
import dev.portico.api.BalancePolicy;
import dev.portico.api.Cidr;
import dev.portico.api.CloseReason;
import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.ProxyProtocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Client IP, access control, limits and balancing, over real sockets. */
class OperatorFeaturesTest extends EngineTestSupport {
    private static final HealthCheck NO_PROBES = HealthCheck.DEFAULT.withEnabled(false);

    private NettyForwardingEngine engine;
    private final List<TcpServer> servers = new ArrayList<>();

    @BeforeEach
    void start() {
        engine = newEngine(Transport.AUTO);
    }

    @AfterEach
    void stop() throws IOException {
        engine.close(Duration.ofSeconds(1));
        for (TcpServer s : servers) {
            s.close();
        }
    }

    private TcpServer server(TcpServer.Handler h) throws IOException {
        TcpServer s = new TcpServer(h);
        servers.add(s);
        return s;
    }

    /** A backend that parses a PROXY header, then answers with the source it states. */
    private TcpServer proxyAwareBackend(LinkedBlockingQueue<ProxyProtocolParser.Header> seen) throws IOException {
        return server(s -> {
            ProxyProtocolParser.Header h = ProxyProtocolParser.read(s.getInputStream());
            seen.add(h);
            s.getOutputStream().write((h.source() + "\n").getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().transferTo(s.getOutputStream());
        });
    }

    /** A backend that says which one it is and closes. */
    private TcpServer named(String id) throws IOException {
        return server(s -> s.getOutputStream().write(id.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String readAll(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(value = ProxyProtocol.class, names = {"V1", "V2"})
    void backendReceivesTheTrueClientAddressInAProxyHeader(ProxyProtocol version) throws Exception {
        LinkedBlockingQueue<ProxyProtocolParser.Header> seen = new LinkedBlockingQueue<>();
        TcpServer backend = proxyAwareBackend(seen);
        apply(engine, frontend("pp", backend.address()).sendProxy(version).health(NO_PROBES).build(),
                Frontend.builder("[::1]:0").name("pp6").backend(backend.address()).sendProxy(version)
                        .health(NO_PROBES).build());
        try (Socket client = connect(engine, "pp")) {
            ProxyProtocolParser.Header h = seen.poll(10, TimeUnit.SECONDS);
            assertThat(h.version()).isEqualTo(version == ProxyProtocol.V1 ? 1 : 2);
            assertThat(h.source()).isEqualTo(client.getLocalSocketAddress());
            assertThat(h.destination()).isEqualTo(client.getRemoteSocketAddress());
            byte[] line = (client.getLocalSocketAddress() + "\n").getBytes(StandardCharsets.US_ASCII);
            assertThat(client.getInputStream().readNBytes(line.length)).isEqualTo(line);
            EngineApplyTest.roundTrip(client, "payload follows the header");
        }
        try (Socket client6 = connect(engine, "pp6")) {
            ProxyProtocolParser.Header h = seen.poll(10, TimeUnit.SECONDS);
            assertThat(h.source().getAddress()).isEqualTo(InetAddress.getByName("::1"));
            assertThat(h.source().getPort()).isEqualTo(client6.getLocalPort());
        }
    }

    @Test
    void trustedProxyListenerTakesTheClientFromTheHeaderAndPassesItOn() throws Exception {
        LinkedBlockingQueue<ProxyProtocolParser.Header> seen = new LinkedBlockingQueue<>();
        TcpServer backend = proxyAwareBackend(seen);
        apply(engine, frontend("chain", backend.address()).health(NO_PROBES).sendProxy(ProxyProtocol.V2)
                .acceptProxy(AcceptProxy.from(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofSeconds(5))).build());
        try (Socket upstream = connect(engine, "chain")) {
            upstream.getOutputStream().write(
                    "PROXY TCP4 203.0.113.9 192.0.2.1 40000 443\r\nhello".getBytes(StandardCharsets.US_ASCII));
            ProxyProtocolParser.Header h = seen.poll(10, TimeUnit.SECONDS);
            assertThat(h.source()).isEqualTo(new InetSocketAddress(InetAddress.getByName("203.0.113.9"), 40000));
            assertThat(h.destination()).isEqualTo(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 443));
            byte[] expect = "/203.0.113.9:40000\nhello".getBytes(StandardCharsets.US_ASCII);
            assertThat(upstream.getInputStream().readNBytes(expect.length)).isEqualTo(expect);
        }
    }

    @Test
    void proxyListenerRefusesUntrustedSendersGarbageAndSilenceWithoutContactingTheBackend() throws Exception {
        TcpServer backend = TcpServer.echo();
        servers.add(backend);
        AcceptProxy trustOthers = AcceptProxy.from(List.of(Cidr.parse("10.0.0.0/8")), Duration.ofSeconds(5));
        AcceptProxy trustUs = AcceptProxy.from(List.of(Cidr.parse("127.0.0.1")), Duration.ofMillis(300));
        apply(engine, frontend("untrusted", backend.address()).health(NO_PROBES).acceptProxy(trustOthers).build(),
                frontend("strict", backend.address()).health(NO_PROBES).acceptProxy(trustUs).build());
        try (Socket s = connect(engine, "untrusted")) {
            s.getOutputStream().write("PROXY TCP4 203.0.113.9 192.0.2.1 1 2\r\n".getBytes(StandardCharsets.US_ASCII));
            assertRefused(s, "untrusted sender");
        }
        try (Socket s = connect(engine, "strict")) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertRefused(s, "garbage instead of a header");
        }
        try (Socket s = connect(engine, "strict")) {
            // Sends nothing: closed after the header timeout.
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(backend.accepted.get()).as("backend contacted").isZero();
        awaitTrue(() -> closes.size() == 3);
        assertThat(closes).containsExactlyInAnyOrder(CloseReason.DENIED, CloseReason.BAD_PROXY_HEADER,
                CloseReason.BAD_PROXY_HEADER);
    }

    @Test
    void denyAndAllowListsRefuseBeforeAnyBackendConnectOnIpv4AndIpv6() throws Exception {
        TcpServer backend = TcpServer.echo();
        servers.add(backend);
        apply(engine,
                frontend("allow-other", backend.address()).health(NO_PROBES).allow(List.of(Cidr.parse("10.0.0.0/8")))
                        .build(),
                frontend("deny-lo", backend.address()).health(NO_PROBES).deny(List.of(Cidr.parse("127.0.0.0/8")))
                        .build(),
                Frontend.builder("[::1]:0").name("deny-v6").backend(backend.address()).health(NO_PROBES)
                        .deny(List.of(Cidr.parse("::1/128"))).build(),
                Frontend.builder("[::1]:0").name("allow-ula").backend(backend.address()).health(NO_PROBES)
                        .allow(List.of(Cidr.parse("fd00::/8"))).build());
        for (String name : List.of("allow-other", "deny-lo", "deny-v6", "allow-ula")) {
            try (Socket s = connect(engine, name)) {
                s.getOutputStream().write(1);
                assertRefused(s, name);
            }
        }
        assertThat(backend.accepted.get()).as("backend contacted").isZero();
        // The same lists let the right clients in.
        apply(engine, frontend("allow-lo", backend.address()).health(NO_PROBES)
                        .allow(List.of(Cidr.parse("127.0.0.1"))).deny(List.of(Cidr.parse("10.0.0.0/8"))).build(),
                Frontend.builder("[::1]:0").name("allow-v6").backend(backend.address()).health(NO_PROBES)
                        .allow(List.of(Cidr.parse("::1"))).build());
        for (String name : List.of("allow-lo", "allow-v6")) {
            try (Socket s = connect(engine, name)) {
                EngineApplyTest.roundTrip(s, "let in");
            }
        }
    }

    @Test
    void engineDefaultListsApplyToFrontendsWithoutTheirOwn() throws Exception {
        TcpServer backend = TcpServer.echo();
        servers.add(backend);
        NettyForwardingEngine lan = NettyForwardingEngine.builder().events(recorder)
                .defaultAllow(List.of(Cidr.parse("192.168.0.0/16"))).build();
        try {
            lan.apply(DesiredState.of(frontend("home-only", backend.address()).health(NO_PROBES).build(),
                    frontend("own-list", backend.address()).health(NO_PROBES)
                            .allow(List.of(Cidr.parse("127.0.0.0/8"))).build()));
            try (Socket s = connect(lan, "home-only")) {
                assertThat(s.getInputStream().read()).isEqualTo(-1);
            }
            try (Socket s = connect(lan, "own-list")) {
                EngineApplyTest.roundTrip(s, "own allow list wins");
            }
        } finally {
            lan.close(Duration.ofSeconds(1));
        }
    }

    @Test
    void limitsRefuseTheExcessAndServeTheRest() throws Exception {
        TcpServer backend = TcpServer.echo();
        servers.add(backend);
        NettyForwardingEngine limited = NettyForwardingEngine.builder().events(recorder).maxConnections(3).build();
        try {
            limited.apply(DesiredState.of(frontend("two", backend.address()).health(NO_PROBES).maxConnections(2).build(),
                    frontend("other", backend.address()).health(NO_PROBES).build()));
            Socket a = connect(limited, "two");
            Socket b = connect(limited, "two");
            EngineApplyTest.roundTrip(a, "a");
            EngineApplyTest.roundTrip(b, "b");
            try (Socket c = connect(limited, "two")) {
                assertThat(c.getInputStream().read()).as("third on a frontend limited to 2").isEqualTo(-1);
            }
            Socket d = connect(limited, "other");
            EngineApplyTest.roundTrip(d, "d");
            try (Socket e = connect(limited, "other")) {
                assertThat(e.getInputStream().read()).as("fourth over the global limit of 3").isEqualTo(-1);
            }
            EngineApplyTest.roundTrip(a, "a still served");
            EngineApplyTest.roundTrip(b, "b still served");
            // Freed capacity is usable again.
            a.close();
            awaitTrue(() -> status(limited, "two").activeConnections() == 1);
            try (Socket f = connect(limited, "two")) {
                EngineApplyTest.roundTrip(f, "f");
            }
            b.close();
            d.close();
            assertThat(closes.stream().filter(r -> r == CloseReason.LIMIT).count()).isEqualTo(2);
        } finally {
            limited.close(Duration.ofSeconds(1));
        }
    }

    @Test
    void affinityHoldsWithinItsExpiryAndEndsAfter() throws Exception {
        TcpServer one = named("one");
        TcpServer two = named("two");
        Duration expiry = Duration.ofMillis(600);
        apply(engine, frontend("sticky", one.address(), two.address()).health(NO_PROBES)
                .balance(BalancePolicy.ROUND_ROBIN).affinity(expiry).build());
        String first;
        try (Socket s = connect(engine, "sticky")) {
            first = readAll(s);
        }
        for (int i = 0; i < 8; i++) {
            try (Socket s = connect(engine, "sticky")) {
                assertThat(readAll(s)).as("connection %d within the expiry", i).isEqualTo(first);
            }
        }
        // Let the entry expire (no connection meanwhile), then round-robin takes over again.
        await().pollDelay(expiry.multipliedBy(2)).atMost(WAIT).until(() -> true);
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (Socket s = connect(engine, "sticky")) {
                after.add(readAll(s));
            }
            if (i == 0) {
                await().pollDelay(expiry.multipliedBy(2)).atMost(WAIT).until(() -> true);
            }
        }
        assertThat(after).containsExactlyInAnyOrder("one", "two");
    }

    @Test
    void sourceHashSendsAClientToTheSameBackendEveryTime() throws Exception {
        TcpServer one = named("one");
        TcpServer two = named("two");
        TcpServer three = named("three");
        apply(engine, frontend("hash", one.address(), two.address(), three.address()).health(NO_PROBES)
                .balance(BalancePolicy.SOURCE_HASH).build());
        String first;
        try (Socket s = connect(engine, "hash")) {
            first = readAll(s);
        }
        for (int i = 0; i < 10; i++) {
            try (Socket s = connect(engine, "hash")) {
                assertThat(readAll(s)).isEqualTo(first);
            }
        }
    }

    /** The proxy closed the connection without serving it: EOF, or a reset when bytes were unread. */
    static void assertRefused(Socket s, String what) {
        try {
            assertThat(s.getInputStream().read()).as(what).isEqualTo(-1);
        } catch (java.net.SocketException e) {
            assertThat(e).as(what).hasMessageContaining("reset");
        } catch (IOException e) {
            throw new AssertionError(what, e);
        }
    }
}

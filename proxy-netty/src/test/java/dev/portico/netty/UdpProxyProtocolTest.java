package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Protocol;
import dev.portico.api.ProxyProtocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PROXY protocol v2 in its UDP form: one header before every datagram a backend receives. */
class UdpProxyProtocolTest extends EngineTestSupport {

    static Frontend.Builder udpV2(String bind, String backend) {
        return Frontend.builder(bind).name("dns").backend(backend).protocol(Protocol.UDP)
                .sendProxy(ProxyProtocol.V2).health(HealthCheck.DEFAULT.withEnabled(false));
    }

    /** Asks five questions and checks the header the backend read before each of them. */
    private void everyDatagramCarriesTheClient(String mode, InetAddress host, int familyTransport) throws Exception {
        try (UdpTestBackend a = new UdpTestBackend("a", 1, host, true); NettyForwardingEngine engine = newEngine(mode)) {
            String bind = (host.getAddress().length == 16 ? "[" + host.getHostAddress() + "]" : host.getHostAddress()) + ":0";
            apply(engine, udpV2(bind, a.address()).build());
            InetSocketAddress fe = addressOf(engine, "dns");
            try (UdpClient c = new UdpClient(fe, host)) {
                for (int i = 0; i < 5; i++) {
                    assertThat(c.ask("q" + i)).isEqualTo("a:q" + i);
                }
                List<ProxyProtocolParser.Header> seen = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    seen.add(a.headers.poll(10, TimeUnit.SECONDS));
                }
                InetSocketAddress client = (InetSocketAddress) c.socket.getLocalSocketAddress();
                assertThat(seen).allSatisfy(h -> {
                    assertThat(h.version()).isEqualTo(2);
                    assertThat(h.familyTransport()).isEqualTo(familyTransport);
                    assertThat(h.source()).isEqualTo(client);
                    assertThat(h.destination()).isEqualTo(fe);
                });
            }
            assertThat(a.failures).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void everyDatagramOverIpv4StartsWithAUdp4HeaderNamingTheClient(String mode) throws Exception {
        everyDatagramCarriesTheClient(mode, InetAddress.getByName("127.0.0.1"), 0x12);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void everyDatagramOverIpv6StartsWithAUdp6HeaderNamingTheClient(String mode) throws Exception {
        everyDatagramCarriesTheClient(mode, InetAddress.getByName("::1"), 0x22);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void aDatagramThatNoLongerFitsWithItsHeaderIsDroppedAndCounted(String mode) throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        try (UdpTestBackend a = new UdpTestBackend("", 1, v4, true); NettyForwardingEngine engine = newEngine(mode)) {
            apply(engine, udpV2("127.0.0.1:0", a.address()).build());
            Random random = new Random(5);
            try (UdpClient c = new UdpClient(addressOf(engine, "dns"), v4)) {
                // 28 header bytes over IPv4: 65,479 payload bytes make the largest datagram there is.
                byte[] largest = new byte[65_507 - 28];
                random.nextBytes(largest);
                c.send(largest);
                assertThat(c.receive()).isEqualTo(largest);
                c.send(new byte[65_507 - 27]);
                awaitTrue(() -> status(engine, "dns").udp().droppedTooLarge() == 1);
                assertThat(c.ask("after")).isEqualTo("after");
            }
            assertThat(a.received.get()).isEqualTo(2);
            assertThat(status(engine, "dns").udp().datagramsFromClient()).isEqualTo(2);
            assertThat(a.failures).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll", "io_uring"})
    void withoutProxyProtocolTheBackendGetsThePayloadAlone(String mode) throws Exception {
        // A header would come back in the echoed answer, before the payload.
        try (UdpTestBackend a = new UdpTestBackend("a", 1); NettyForwardingEngine engine = newEngine(mode)) {
            apply(engine, udpV2("127.0.0.1:0", a.address()).sendProxy(ProxyProtocol.OFF)
                    .idleTimeout(Duration.ofMinutes(1)).build());
            try (UdpClient c = new UdpClient(addressOf(engine, "dns"))) {
                assertThat(c.ask("plain")).isEqualTo("a:plain");
            }
        }
    }
}

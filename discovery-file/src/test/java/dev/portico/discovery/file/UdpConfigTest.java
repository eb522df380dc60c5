package dev.portico.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Backend;
import dev.portico.api.Frontend;
import dev.portico.api.Protocol;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class UdpConfigTest {

    private static ConfigParser.Result parse(String text) {
        return ConfigParser.parse("a.yaml", text, "file");
    }

    @Test
    void theIssuesDnsExampleIsAUdpFrontend() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - name: dns
                    bind: :53
                    protocol: udp
                    idleTimeout: 30s
                    backends:
                      - address: 10.0.0.53:53
                """);
        assertThat(r.problems()).isEmpty();
        Frontend f = r.frontends().get(0);
        assertThat(f.protocol()).isEqualTo(Protocol.UDP);
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(f.backends()).containsExactly(new Backend("10.0.0.53", 53));
    }

    @Test
    void udpDefaultsToSixtySecondsIdleAndNoActiveProbes() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                    protocol: UDP
                    backends:
                      - address: 10.0.0.53:53
                  - bind: :54
                    protocol: udp
                    health:
                      enabled: true
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends().get(0).idleTimeout()).isEqualTo(Frontend.DEFAULT_UDP_IDLE_TIMEOUT);
        assertThat(r.frontends().get(0).health().enabled()).isFalse();
        assertThat(r.frontends().get(1).health().enabled()).isTrue();
    }

    @Test
    void withoutProtocolEveryEntryStaysTcpWithItsDefaults() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                  - bind: :81
                    protocol: tcp
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).extracting(Frontend::protocol).containsExactly(Protocol.TCP, Protocol.TCP);
        assertThat(r.frontends().get(0).idleTimeout()).isEqualTo(Frontend.DEFAULT_IDLE_TIMEOUT);
        assertThat(r.frontends().get(0).health().enabled()).isTrue();
    }

    @Test
    void tcpAndUdpOnOneBindAreTwoFrontends() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                    backends:
                      - address: 10.0.0.53:53
                  - bind: :53
                    protocol: udp
                    backends:
                      - address: 10.0.0.53:53
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).extracting(Frontend::protocol).containsExactly(Protocol.TCP, Protocol.UDP);
    }

    @Test
    void udpEntriesOnOneBindMergeTheirBackends() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                    protocol: udp
                    backends:
                      - address: 10.0.0.1:53
                  - bind: :53
                    protocol: udp
                    backends:
                      - address: 10.0.0.2:53
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).hasSize(1);
        assertThat(r.frontends().get(0).backends()).containsExactly(new Backend("10.0.0.1", 53), new Backend("10.0.0.2", 53));
    }

    @Test
    void udpEntriesOnOneBindWithDifferentSettingsAreRejectedWithThePlace() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                    protocol: udp
                    idleTimeout: 10s
                  - bind: :53
                    protocol: udp
                """);
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).hasSize(1);
        assertThat(r.problems().get(0).toString()).startsWith("a.yaml:6:5: bind :53/udp is also used by the entry at"
                + " a.yaml:3:5 with different settings (idleTimeout 10s vs 1m");
    }

    @Test
    void unknownProtocolIsRejectedWithLineAndColumn() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                    protocol: sctp
                """);
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).extracting(Object::toString)
                .containsExactly("a.yaml:4:15: unknown protocol 'sctp' (one of: tcp, udp)");
    }

    @Test
    void proxyProtocolV1OnAUdpFrontendIsRejectedWithThePlace() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                    protocol: udp
                    proxyProtocol: v1
                """);
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).extracting(Object::toString)
                .containsExactly("a.yaml:3:5: PROXY protocol v1 cannot be sent over UDP (only v2 has a datagram form)");
    }

    @Test
    void proxyProtocolV2OnAUdpFrontendIsSentPerDatagram() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                    protocol: udp
                    proxyProtocol: v2
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).extracting(f -> f.sendProxy()).containsExactly(dev.portico.api.ProxyProtocol.V2);
    }

    @Test
    void aUdpFrontendWithoutANameIsNamedApartFromTheTcpOne() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :53
                  - bind: :53
                    protocol: udp
                """);
        assertThat(r.frontends()).extracting(Frontend::name).containsExactly(":53", ":53/udp");
    }
}

package dev.portico.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.AcceptProxy;
import dev.portico.api.BalancePolicy;
import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyProtocol;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator keys: PROXY protocol, access lists, limits, hashing and affinity. */
class OperatorKeysTest {

    private static ConfigParser.Result parse(String text) {
        return ConfigParser.parse("ops.yaml", text, "file");
    }

    @Test
    void operatorKeysAreRead() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    backends:
                      - address: 10.0.0.100:443
                    proxyProtocol: v2
                    acceptProxy:
                      trusted: [192.168.1.1, "fd00::/8"]
                      timeout: 1s
                    allow: [192.168.0.0/16, "fd00::/8"]
                    deny: [192.168.1.66]
                    maxConnections: 500
                    balance: source
                    affinity: 3h
                """);
        assertThat(r.problems()).isEmpty();
        Frontend f = r.frontends().get(0);
        assertThat(f.sendProxy()).isEqualTo(ProxyProtocol.V2);
        assertThat(f.acceptProxy()).isEqualTo(AcceptProxy.from(
                List.of(Cidr.parse("192.168.1.1"), Cidr.parse("fd00::/8")), Duration.ofSeconds(1)));
        assertThat(f.allow()).containsExactly(Cidr.parse("192.168.0.0/16"), Cidr.parse("fd00::/8"));
        assertThat(f.deny()).containsExactly(Cidr.parse("192.168.1.66/32"));
        assertThat(f.maxConnections()).isEqualTo(500);
        assertThat(f.balance()).isEqualTo(BalancePolicy.SOURCE_HASH);
        assertThat(f.affinity()).isEqualTo(Duration.ofHours(3));
    }

    @Test
    void operatorKeysDefaultToOff() {
        Frontend f = parse("""
                apiVersion: v1
                frontends:
                  - bind: :22
                """).frontends().get(0);
        assertThat(f.sendProxy()).isEqualTo(ProxyProtocol.OFF);
        assertThat(f.acceptProxy().enabled()).isFalse();
        assertThat(f.allow()).isEmpty();
        assertThat(f.deny()).isEmpty();
        assertThat(f.maxConnections()).isZero();
        assertThat(f.affinity()).isZero();
    }

    @Test
    void badOperatorValuesAreRejectedWithLineAndColumn() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    proxyProtocol: v3
                    allow:
                      - 10.0.0.0/8
                      - 10.0.0.0/40
                    deny: [lan]
                    maxConnections: -1
                    acceptProxy:
                      timeout: 1s
                """);
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).extracting(Object::toString).containsExactly(
                "ops.yaml:4:20: unknown PROXY protocol version 'v3' (one of: off, v1, v2)",
                "ops.yaml:7:9: prefix /40 is out of range for 10.0.0.0 (0-32)",
                "ops.yaml:8:12: 'lan' is not an IP address or network (like 192.168.1.0/24 or fd00::/8)",
                "ops.yaml:9:21: maxConnections: -1 is out of range (0-2147483647)",
                "ops.yaml:11:7: accepting PROXY headers needs at least one trusted network");
    }

    @Test
    void anEmptyAcceptProxyBlockIsAnErrorAtTheBlockNotSilentlyOff() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    backends:
                      - address: 10.0.0.100:443
                    acceptProxy: {}
                """);
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).extracting(Object::toString).containsExactly(
                "ops.yaml:6:18: accepting PROXY headers needs at least one trusted network");
    }
}

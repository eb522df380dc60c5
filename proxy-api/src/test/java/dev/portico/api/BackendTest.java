package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackendTest {

    @Test
    void parsesIpv4HostnameAndIpv6() {
        assertThat(Backend.parse("10.0.0.102:80")).isEqualTo(new Backend("10.0.0.102", 80, 1));
        assertThat(Backend.parse("nas.lan:22").host()).isEqualTo("nas.lan");
        Backend v6 = Backend.parse("[fd00::1]:443");
        assertThat(v6.host()).isEqualTo("fd00:0:0:0:0:0:0:1");
        assertThat(v6.address()).isEqualTo("[fd00:0:0:0:0:0:0:1]:443");
    }

    @Test
    void anIpLiteralHostIsAnAddressWithoutLookupAndANameIsNot() throws Exception {
        assertThat(Backend.parse("10.0.0.102:80").ipAddress()).contains(InetAddress.getByName("10.0.0.102"));
        assertThat(Backend.parse("[fd00::1]:443").ipAddress()).contains(InetAddress.getByName("fd00::1"));
        // The zone of a link-local address is kept: without it the address names no interface.
        Inet6Address zoned = (Inet6Address) Backend.parse("[fe80::1%1]:443").ipAddress().orElseThrow();
        assertThat(zoned.getScopeId()).isEqualTo(1);
        assertThat(Backend.parse("nas.lan:22").ipAddress()).isEmpty();
        // The short IPv4 forms the JDK also reads are host names here, as in Kubernetes.
        assertThat(new Backend("10.1", 80).ipAddress()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        ":80|the host is missing",
        "10.0.0.1:0|port 0 is out of range (1-65535)",
        "10.0.0.1|expected host:port",
        "fd00::1:80|must be written in brackets",
    })
    void badAddresses(String text, String message) {
        assertThatThrownBy(() -> Backend.parse(text)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void weightIsBounded() {
        assertThatThrownBy(() -> new Backend("a", 1, 257)).hasMessageContaining("weight 257 is out of range");
        assertThatThrownBy(() -> new Backend("a", 1, -1)).hasMessageContaining("weight -1");
        assertThat(new Backend("a", 1, 0).weight()).isZero();
    }

    @Test
    void identityIgnoresWeight() {
        assertThat(new Backend("a", 1, 5).sameEndpoint(new Backend("a", 1, 1))).isTrue();
        assertThat(new Backend("a", 1).sameEndpoint(new Backend("a", 2))).isFalse();
    }

    @Test
    void frontendRejectsDuplicateBackends() {
        assertThatThrownBy(() -> Frontend.builder(":80").backend("a:1").backend(new Backend("a", 1, 3)).build())
                .hasMessageContaining("backend a:1 is listed twice");
    }

    @Test
    void frontendDefaults() {
        Frontend f = Frontend.builder("127.0.0.1:80").build();
        assertThat(f.name()).isEqualTo("127.0.0.1:80");
        assertThat(f.idleTimeout()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(f.balance()).isEqualTo(BalancePolicy.RANDOM);
        assertThat(f.health().initiallyUp()).isTrue();
        assertThat(f.health().rise()).isEqualTo(2);
        assertThat(f.health().fall()).isEqualTo(3);
    }
}

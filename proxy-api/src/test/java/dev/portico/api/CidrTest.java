package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    @Test
    void ipv4AndIpv6NetworksContainTheirAddresses() throws Exception {
        Cidr lan = Cidr.parse("192.168.1.0/24");
        assertThat(lan.contains(InetAddress.getByName("192.168.1.200"))).isTrue();
        assertThat(lan.contains(InetAddress.getByName("192.168.2.1"))).isFalse();
        Cidr ula = Cidr.parse("fd00::/8");
        assertThat(ula.contains(InetAddress.getByName("fd12:3456::1"))).isTrue();
        assertThat(ula.contains(InetAddress.getByName("2001:db8::1"))).isFalse();
        assertThat(ula.contains(InetAddress.getByName("10.0.0.1"))).isFalse();
        assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
    }

    @Test
    void aPrefixWithinAByteComparesOnlyThatBytesLeadingBits() throws Exception {
        Cidr twenty = Cidr.parse("10.20.16.0/20");
        assertThat(twenty.contains(InetAddress.getByName("10.20.31.255"))).isTrue();
        assertThat(twenty.contains(InetAddress.getByName("10.20.32.0"))).isFalse();
        assertThat(twenty.contains(InetAddress.getByName("10.20.15.255"))).isFalse();
        Cidr v6 = Cidr.parse("2001:db8:80::/41");
        assertThat(v6.contains(InetAddress.getByName("2001:db8:ff:ffff::1"))).isTrue();
        assertThat(v6.contains(InetAddress.getByName("2001:db8:7f::1"))).isFalse();
        assertThat(Cidr.parse("::/0").contains(InetAddress.getByName("::1"))).isTrue();
        assertThat(Cidr.parse("::/0").contains(InetAddress.getByName("127.0.0.1"))).isFalse();
        assertThat(Cidr.parse("10.0.0.7").contains(InetAddress.getByName("10.0.0.7"))).isTrue();
        assertThat(Cidr.parse("10.0.0.7").contains(InetAddress.getByName("10.0.0.6"))).isFalse();
    }

    @Test
    void singleAddressAndHostBits() {
        assertThat(Cidr.parse("10.0.0.7").toString()).isEqualTo("10.0.0.7/32");
        assertThat(Cidr.parse("::1").prefix()).isEqualTo(128);
        assertThat(Cidr.parse("192.168.1.77/24")).isEqualTo(Cidr.parse("192.168.1.0/24"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/33|prefix /33 is out of range",
        "fd00::/129|prefix /129 is out of range",
        "10.0.0/8|is not an IP address or network",
        "lan|is not an IP address or network",
        "10.0.0.0/x|prefix 'x' is not a number",
        "''|CIDR is empty",
    })
    void badNetworksSayWhy(String text, String message) {
        assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(message);
    }
}

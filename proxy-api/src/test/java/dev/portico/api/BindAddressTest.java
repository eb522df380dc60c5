package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BindAddressTest {

    @Test
    void bareAndColonPortAreWildcard() {
        assertThat(BindAddress.parse("8080")).isEqualTo(BindAddress.wildcard(8080));
        assertThat(BindAddress.parse(":8080")).isEqualTo(BindAddress.wildcard(8080));
        assertThat(BindAddress.parse(" :80 ").toString()).isEqualTo(":80");
    }

    @Test
    void hostAndPort() {
        BindAddress b = BindAddress.parse("127.0.0.1:443");
        assertThat(b.kind()).isEqualTo(BindAddress.Kind.HOST);
        assertThat(b.host()).isEqualTo("127.0.0.1");
        assertThat(b.port()).isEqualTo(443);
        assertThat(BindAddress.parse("LocalHost:80").host()).isEqualTo("localhost");
    }

    @Test
    void ipv6InBracketsIsNormalised() {
        BindAddress b = BindAddress.parse("[0:0:0:0:0:0:0:1]:8443");
        assertThat(b.host()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(b).isEqualTo(BindAddress.parse("[::1]:8443"));
        assertThat(b.toString()).isEqualTo("[0:0:0:0:0:0:0:1]:8443");
        assertThat(BindAddress.parse(b.toString())).isEqualTo(b);
    }

    @Test
    void interfaceDefaultsToIpv4AndTakesAFamily() {
        assertThat(BindAddress.parse("@eth0:80")).isEqualTo(BindAddress.iface("eth0", IpFamily.IPV4, 80));
        assertThat(BindAddress.parse("@eth0/6:80")).isEqualTo(BindAddress.iface("eth0", IpFamily.IPV6, 80));
        assertThat(BindAddress.parse("@eth0/ipv6:80")).isEqualTo(BindAddress.iface("eth0", IpFamily.IPV6, 80));
        assertThat(BindAddress.parse("@ppp0/4:22").toString()).isEqualTo("@ppp0:22");
        assertThat(BindAddress.parse("@wg0/6:22").toString()).isEqualTo("@wg0/6:22");
    }

    @Test
    void portZeroMeansAnyFreePort() {
        assertThat(BindAddress.parse("127.0.0.1:0").port()).isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|empty",
        "127.0.0.1|expected host:port",
        "127.0.0.1:|port is missing",
        "127.0.0.1:http|port 'http' is not a number",
        "127.0.0.1:65536|port 65536 is out of range",
        ":99999|port 99999 is out of range",
        "::1:80|must be written in brackets, as [::1]:80",
        "[::1:80|missing ']'",
        "[::1]80|expected ':port' after ']'",
        "[nothex]:80|'nothex' is not an IPv6 address",
        "[1.2.3.4]:80|'1.2.3.4' is not an IPv6 address",
        "bad_host!:80|neither an IP address nor a valid host name",
        "@:80|'' is not a valid interface name",
        "@eth0|expected @interface:port",
        "@eth0/7:80|unknown address family '7'",
        "@eth0:x|port 'x' is not a number",
        "@averyveryverylongname:80|is not a valid interface name",
    })
    void badFormsSayWhatIsWrong(String text, String message) {
        assertThatThrownBy(() -> BindAddress.parse(text))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void nullIsRejected() {
        assertThatThrownBy(() -> BindAddress.parse(null)).hasMessageContaining("missing");
    }

    @Test
    void withPortKeepsTheRest() {
        assertThat(BindAddress.parse("@eth1/6:1").withPort(443)).isEqualTo(BindAddress.parse("@eth1/6:443"));
    }

    @Test
    void resolvesLoopbackInterfaceAndHost() throws Exception {
        InetSocketAddress lo = BindAddress.parse("@lo:1234").resolve();
        assertThat(lo.getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
        assertThat(lo.getPort()).isEqualTo(1234);
        assertThat(BindAddress.parse("127.0.0.1:5").resolve().getAddress().isLoopbackAddress()).isTrue();
        assertThat(BindAddress.parse(":5").resolve().getAddress().isAnyLocalAddress()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"@nosuchif0:80", "@nosuchif0/6:80"})
    void unknownInterfaceIsReportedNotThrownAsBug(String text) {
        assertThatThrownBy(() -> BindAddress.parse(text).resolve())
                .isInstanceOf(UnresolvableBindException.class)
                .hasMessageContaining("no network interface named 'nosuchif0'");
    }

    @Test
    void unresolvableHostIsReported() {
        assertThatThrownBy(() -> BindAddress.parse("no-such-host.invalid:80").resolve())
                .isInstanceOf(UnresolvableBindException.class)
                .hasMessageContaining("does not resolve");
    }
}

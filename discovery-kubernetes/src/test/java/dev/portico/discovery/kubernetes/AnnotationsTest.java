package dev.portico.discovery.kubernetes;

import dev.portico.api.AcceptProxy;
import dev.portico.api.FrontendSettings;
import dev.portico.api.BalancePolicy;
import dev.portico.api.Cidr;
import dev.portico.api.Durations;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.ProxyProtocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnnotationsTest {

    @ParameterizedTest
    @CsvSource({"5, PT5S", "5s, PT5S", "250ms, PT0.25S", "1m, PT1M", "1h, PT1H", "1m30s, PT1M30S", "' 2h ', PT2H"})
    void readsDurations(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "5x", "", "-5s", "s", "5 s", "m5"})
    void rejectsWhatIsNotADuration(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void durationAnnotationsTakeDecimalsAsFilesDo() {
        Frontend f = Annotations.parse(Map.of(FrontendSettings.IDLE_TIMEOUT.annotationKey(), "1.5h",
                FrontendSettings.CONNECT_TIMEOUT.annotationKey(), "1.5",
                FrontendSettings.HEALTH_TIMEOUT.annotationKey(), "0.25s")).sample();
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofMinutes(90));
        assertThat(f.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(f.health().timeout()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void withoutAnnotationsEverythingIsDefault() {
        Annotations.Settings s = Annotations.parse(null);
        Frontend f = s.sample();
        assertThat(s.exposure()).isNull();
        assertThat(f.health()).isEqualTo(HealthCheck.DEFAULT);
        assertThat(f.idleTimeout()).isEqualTo(Frontend.DEFAULT_IDLE_TIMEOUT);
        assertThat(f.connectTimeout()).isEqualTo(Frontend.DEFAULT_CONNECT_TIMEOUT);
        assertThat(f.balance()).isEqualTo(BalancePolicy.RANDOM);
        assertThat(f.sendProxy()).isEqualTo(ProxyProtocol.OFF);
        assertThat(f.acceptProxy()).isEqualTo(AcceptProxy.OFF);
        assertThat(s.gives(FrontendSettings.ALLOW)).as("absent, so that spec.loadBalancerSourceRanges may apply").isFalse();
        assertThat(f.deny()).isEmpty();
        assertThat(f.maxConnections()).isZero();
        assertThat(s.gives(FrontendSettings.AFFINITY)).as("absent, so that spec.sessionAffinity may apply").isFalse();
    }

    @Test
    void readsEverySetting() {
        Annotations.Settings s = Annotations.parse(Map.of(
                FrontendSettings.L4PROXY_HEALTH_INTERVAL.annotationKey(), "7",
                FrontendSettings.HEALTH_TIMEOUT.annotationKey(), "1500ms",
                FrontendSettings.HEALTH_RISE.annotationKey(), "1",
                FrontendSettings.HEALTH_FALL.annotationKey(), "5",
                FrontendSettings.HEALTH_INITIAL.annotationKey(), "down",
                FrontendSettings.IDLE_TIMEOUT.annotationKey(), "2h",
                FrontendSettings.CONNECT_TIMEOUT.annotationKey(), "3",
                FrontendSettings.BALANCE.annotationKey(), "round-robin",
                Annotations.EXPOSURE, "internal, external,internal",
                "unrelated.example.com/x", "anything"));
        Frontend f = s.sample();
        assertThat(f.health()).isEqualTo(new HealthCheck(true, Duration.ofSeconds(7), Duration.ofMillis(1500), 1, 5, false));
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofHours(2));
        assertThat(f.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(f.balance()).isEqualTo(BalancePolicy.ROUND_ROBIN);
        assertThat(s.exposure()).containsExactly("internal", "external");
    }

    @Test
    void readsEveryOperatorSetting() {
        Frontend s = Annotations.parse(Map.of(
                FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v2",
                FrontendSettings.ACCEPT_PROXY.annotationKey(), "10.0.0.1/32, 192.168.1.0/24",
                FrontendSettings.ACCEPT_PROXY_TIMEOUT.annotationKey(), "1500ms",
                FrontendSettings.ALLOW.annotationKey(), "192.168.0.0/16,fd00::/8",
                FrontendSettings.DENY.annotationKey(), " 192.168.1.66 ",
                FrontendSettings.MAX_CONNECTIONS.annotationKey(), "500",
                FrontendSettings.AFFINITY.annotationKey(), "3h",
                FrontendSettings.BALANCE.annotationKey(), "source")).sample();
        assertThat(s.sendProxy()).isEqualTo(ProxyProtocol.V2);
        assertThat(s.acceptProxy()).isEqualTo(AcceptProxy.from(
                List.of(Cidr.parse("10.0.0.1/32"), Cidr.parse("192.168.1.0/24")), Duration.ofMillis(1500)));
        assertThat(s.allow()).containsExactly(Cidr.parse("192.168.0.0/16"), Cidr.parse("fd00::/8"));
        assertThat(s.deny()).containsExactly(Cidr.parse("192.168.1.66/32"));
        assertThat(s.maxConnections()).isEqualTo(500);
        assertThat(s.affinity()).isEqualTo(Duration.ofHours(3));
        assertThat(s.balance()).isEqualTo(BalancePolicy.SOURCE_HASH);
    }

    @ParameterizedTest
    @CsvSource({"off, OFF", "v1, V1", "V2, V2", "' v1 ', V1"})
    void readsEveryProxyProtocolVersion(String text, ProxyProtocol expected) {
        assertThat(Annotations.parse(Map.of(FrontendSettings.PROXY_PROTOCOL.annotationKey(), text)).sample().sendProxy()).isEqualTo(expected);
    }

    @Test
    void acceptingProxyHeadersHasAThreeSecondHeaderTimeoutByDefault() {
        AcceptProxy a = Annotations.parse(Map.of(FrontendSettings.ACCEPT_PROXY.annotationKey(), "10.0.0.1")).sample().acceptProxy();
        assertThat(a.enabled()).isTrue();
        assertThat(a.trusted()).containsExactly(Cidr.parse("10.0.0.1/32"));
        assertThat(a.headerTimeout()).isEqualTo(AcceptProxy.DEFAULT_HEADER_TIMEOUT).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void zeroMeansNoLimitAndNoAffinity() {
        Frontend s = Annotations.parse(Map.of(FrontendSettings.MAX_CONNECTIONS.annotationKey(), "0", FrontendSettings.AFFINITY.annotationKey(), "0")).sample();
        assertThat(s.maxConnections()).isZero();
        assertThat(s.affinity()).as("said, and said off: a sessionAffinity field no longer applies").isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"random", "roundrobin", "leastconn", "source"})
    void acceptsEveryBalancePolicyByItsFileName(String name) {
        assertThat(Annotations.parse(Map.of(FrontendSettings.BALANCE.annotationKey(), name)).sample().balance())
                .isEqualTo(BalancePolicy.fromConfigName(name));
        assertThat(BalancePolicy.names()).contains(name);
    }

    @Test
    void healthChecksCanBeTurnedOff() {
        assertThat(Annotations.parse(Map.of(FrontendSettings.HEALTH_ENABLED.annotationKey(), "false")).sample().health())
                .isEqualTo(HealthCheck.DEFAULT.withEnabled(false));
        assertThat(Annotations.parse(Map.of(FrontendSettings.HEALTH_ENABLED.annotationKey(), "True")).sample().health()).isEqualTo(HealthCheck.DEFAULT);
    }

    @Test
    void porticosHealthIntervalWinsOverL4proxys() {
        Frontend s = Annotations.parse(Map.of(FrontendSettings.L4PROXY_HEALTH_INTERVAL.annotationKey(), "7",
                FrontendSettings.HEALTH_INTERVAL.annotationKey(), "250ms")).sample();
        assertThat(s.health().interval()).isEqualTo(Duration.ofMillis(250));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "portico.dev/idle-timeout    | abc   | annotation portico.dev/idle-timeout: 'abc' is not a duration (",
            "portico.dev/connect-timeout | 0     | annotation portico.dev/connect-timeout: '0' must be longer than zero",
            "l4proxy.e13.dev/health-interval | 5s | annotation l4proxy.e13.dev/health-interval: '5s' is not a whole number of seconds",
            "l4proxy.e13.dev/health-interval | 0  | annotation l4proxy.e13.dev/health-interval: '0' must be at least 1",
            "portico.dev/health-rise     | 101   | annotation portico.dev/health-rise: '101' is out of range (1-100)",
            "portico.dev/health-initial  | maybe | annotation portico.dev/health-initial: 'maybe' is neither up nor down",
            "portico.dev/health-enabled  | off   | annotation portico.dev/health-enabled: 'off' is neither true nor false",
            "portico.dev/balance         | fast  | annotation portico.dev/balance: 'fast' is not a balance policy (one of: random, roundrobin, leastconn, source)",
            "portico.dev/exposure        | a,,b  | annotation portico.dev/exposure: 'a,,b' has an empty class name",
            "portico.dev/balanse         | random | annotation portico.dev/balanse is not known to Portico (did you mean portico.dev/balance?)",
            "portico.dev/weight          | 3     | annotation portico.dev/weight is not known to Portico; known: portico.dev/accept-proxy,",
            "portico.dev/proxy-protocol  | v3    | annotation portico.dev/proxy-protocol: unknown PROXY protocol version 'v3' (one of: off, v1, v2)",
            "portico.dev/accept-proxy    | 10.0.0.1/33 | annotation portico.dev/accept-proxy: prefix /33 is out of range for 10.0.0.1 (0-32)",
            "portico.dev/accept-proxy    | ' '   | annotation portico.dev/accept-proxy: is empty (write networks like 192.168.0.0/16,fd00::/8, or remove the annotation)",
            "portico.dev/allow           | 192.168.0.0/16,lan | annotation portico.dev/allow: 'lan' is not an IP address or network (like 192.168.1.0/24 or fd00::/8)",
            "portico.dev/allow           | 10.0.0.0/8 192.168.0.0/16 | annotation portico.dev/allow: '10.0.0.0/8 192.168.0.0/16': prefix '8 192.168.0.0/16' is not a number; separate networks with commas",
            "portico.dev/allow           | 10.0.0.0/8,,fd00::/8 | annotation portico.dev/allow: has an empty entry",
            "portico.dev/deny            | fd00::/129 | annotation portico.dev/deny: prefix /129 is out of range for fd00:0:0:0:0:0:0:0 (0-128)",
            "portico.dev/deny            | 10.0.0.0/x | annotation portico.dev/deny: '10.0.0.0/x': prefix 'x' is not a number",
            "portico.dev/max-connections | -1    | annotation portico.dev/max-connections: '-1' is not a whole number",
            "portico.dev/max-connections | 500k  | annotation portico.dev/max-connections: '500k' is not a whole number",
            "portico.dev/max-connections | 2147483648 | annotation portico.dev/max-connections: '2147483648' is too large (at most 2147483647)",
            "portico.dev/affinity        | 3 hours | annotation portico.dev/affinity: '3 hours' is not a duration (",
            "portico.dev/affinity        | -1h   | annotation portico.dev/affinity: '-1h' is not a duration (",
            "portico.dev/max-connection  | 5     | annotation portico.dev/max-connection is not known to Portico (did you mean portico.dev/max-connections?)",
            "portico.dev/proxyprotocol   | v1    | annotation portico.dev/proxyprotocol is not known to Portico (did you mean portico.dev/proxy-protocol?)",
    })
    void aBadAnnotationIsNamedWithItsValue(String key, String value, String message) {
        assertThatThrownBy(() -> Annotations.parse(Map.of(key, value)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void knowsItsKeys() {
        assertThat(Annotations.KNOWN).allSatisfy(k -> assertThat(k).startsWith(Annotations.PREFIX));
        assertThat(List.copyOf(Annotations.KNOWN)).hasSize(18);
    }

    @Test
    void aPositiveDurationAnnotationRefusesZeroWhereZeroMeansNothing() {
        assertThatThrownBy(() -> Annotations.parse(Map.of(FrontendSettings.ACCEPT_PROXY.annotationKey(), "10.0.0.1",
                FrontendSettings.ACCEPT_PROXY_TIMEOUT.annotationKey(), "0s")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("annotation portico.dev/accept-proxy-timeout: '0s' must be longer than zero");
    }

    @Test
    void anAcceptProxyTimeoutWithoutTrustedNetworksIsAnError() {
        assertThatThrownBy(() -> Annotations.parse(Map.of(FrontendSettings.ACCEPT_PROXY_TIMEOUT.annotationKey(), "1s")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("annotation portico.dev/accept-proxy-timeout: has no effect without portico.dev/accept-proxy "
                        + "(the networks trusted to send PROXY headers)");
    }
}

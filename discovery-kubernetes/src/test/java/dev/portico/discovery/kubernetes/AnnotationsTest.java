package dev.portico.discovery.kubernetes;

import dev.portico.api.BalancePolicy;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.InvalidConfigException;
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
        assertThat(Annotations.parseDuration(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "5x", "", "-5s", "1.5s", "s", "5 s", "m5"})
    void rejectsWhatIsNotADuration(String text) {
        assertThatThrownBy(() -> Annotations.parseDuration(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withoutAnnotationsEverythingIsDefault() {
        Annotations.Settings s = Annotations.parse(null);
        assertThat(s.exposure()).isNull();
        assertThat(s.health()).isEqualTo(HealthCheck.DEFAULT);
        assertThat(s.idleTimeout()).isEqualTo(Frontend.DEFAULT_IDLE_TIMEOUT);
        assertThat(s.connectTimeout()).isEqualTo(Frontend.DEFAULT_CONNECT_TIMEOUT);
        assertThat(s.balance()).isEqualTo(BalancePolicy.RANDOM);
    }

    @Test
    void readsEverySetting() {
        Annotations.Settings s = Annotations.parse(Map.of(
                Annotations.L4PROXY_HEALTH_INTERVAL, "7",
                Annotations.HEALTH_TIMEOUT, "1500ms",
                Annotations.HEALTH_RISE, "1",
                Annotations.HEALTH_FALL, "5",
                Annotations.HEALTH_INITIAL, "down",
                Annotations.IDLE_TIMEOUT, "2h",
                Annotations.CONNECT_TIMEOUT, "3",
                Annotations.BALANCE, "round-robin",
                Annotations.EXPOSURE, "internal, external,internal",
                "unrelated.example.com/x", "anything"));
        assertThat(s.health()).isEqualTo(new HealthCheck(true, Duration.ofSeconds(7), Duration.ofMillis(1500), 1, 5, false));
        assertThat(s.idleTimeout()).isEqualTo(Duration.ofHours(2));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.balance()).isEqualTo(BalancePolicy.ROUND_ROBIN);
        assertThat(s.exposure()).containsExactly("internal", "external");
    }

    @Test
    void porticosHealthIntervalWinsOverL4proxys() {
        Annotations.Settings s = Annotations.parse(Map.of(Annotations.L4PROXY_HEALTH_INTERVAL, "7",
                Annotations.HEALTH_INTERVAL, "250ms"));
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
            "portico.dev/balance         | fast  | annotation portico.dev/balance: 'fast' is not a balance policy (one of: random, roundrobin, leastconn",
            "portico.dev/exposure        | a,,b  | annotation portico.dev/exposure: 'a,,b' has an empty class name",
            "portico.dev/balanse         | random | annotation portico.dev/balanse is not known to Portico (did you mean portico.dev/balance?)",
            "portico.dev/weight          | 3     | annotation portico.dev/weight is not known to Portico; known: portico.dev/balance,",
    })
    void aBadAnnotationIsNamedWithItsValue(String key, String value, String message) {
        assertThatThrownBy(() -> Annotations.parse(Map.of(key, value)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void knowsItsKeys() {
        assertThat(Annotations.KNOWN).allSatisfy(k -> assertThat(k).startsWith(Annotations.PREFIX));
        assertThat(List.copyOf(Annotations.KNOWN)).hasSize(9);
    }
}

package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void acceptsSecondsAndUnitsAndGoStyleCombinations() {
        assertThat(Durations.parse("5")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("1h0m0s")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
        assertThat(Durations.parse(" 0 ")).isEqualTo(Duration.ZERO);
    }

    @Test
    void rejectsNegativesGarbageAndOtherUnitsListingTheAcceptedForms() {
        for (String bad : new String[] {"-5s", "-1", "soon", "5 s", "s", "1.s", "", "1m30", "5x"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining(Durations.FORMS);
        }
        assertThatThrownBy(() -> Durations.parse("100ns")).hasMessageContaining("unknown unit 'ns' (units: ms, s, m, h)");
        assertThatThrownBy(() -> Durations.parse("2d")).hasMessageContaining("unknown unit 'd'");
        assertThatThrownBy(() -> Durations.parse("-5s")).hasMessageContaining("negative");
        assertThatThrownBy(() -> Durations.parse("99999999999h")).hasMessageContaining("too long");
    }

    @Test
    void formatsTheWayItParses() {
        for (String s : new String[] {"1h", "1m30s", "250ms", "5s", "1h1m1s1ms", "0s"}) {
            assertThat(Durations.format(Durations.parse(s))).isEqualTo(s);
        }
    }

    @Test
    void theGoFormIsWhatGosDurationStringWrites() {
        assertThat(Durations.formatGo(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.formatGo(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(Durations.formatGo(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.formatGo(Duration.ofHours(1))).isEqualTo("1h0m0s");
        assertThat(Durations.formatGo(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Durations.formatGo(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(Durations.formatGo(Duration.ofNanos(1_500_000))).isEqualTo("1.5ms");
        assertThat(Durations.formatGo(Duration.ofNanos(1_500))).isEqualTo("1.5µs");
        assertThat(Durations.formatGo(Duration.ofNanos(7))).isEqualTo("7ns");
        assertThat(Durations.formatGo(Duration.parse("PT2H3M4.005S"))).isEqualTo("2h3m4.005s");
    }

    @Test
    void theGoFormFromAMillisecondUpReadsBack() {
        for (String s : new String[] {"1h0m0s", "1m30s", "1.5s", "250ms", "2h3m4.005s"}) {
            assertThat(Durations.formatGo(Durations.parse(s))).isEqualTo(s);
        }
    }
}

package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LogLimiterTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);

    @Test
    void oneLinePerIntervalThenTheCountOfThoseLeftOut() {
        long t0 = 123_456_789L;
        LogLimiter l = new LogLimiter(10, TimeUnit.SECONDS, t0);
        assertThat(l.permit(t0)).isZero();
        for (int i = 1; i <= 9; i++) {
            assertThat(l.permit(t0 + i * S)).as("second %d", i).isEqualTo(-1);
        }
        assertThat(l.permit(t0 + 10 * S)).isEqualTo(9);
        assertThat(l.permit(t0 + 11 * S)).isEqualTo(-1);
        assertThat(l.permit(t0 + 60 * S)).isEqualTo(1);
        assertThat(LogLimiter.more(9)).isEqualTo(" (9 more since the last message)");
        assertThat(LogLimiter.more(0)).isEmpty();
    }

    @Test
    void worksAcrossTheNanoTimeSignChange() {
        long t0 = Long.MAX_VALUE - 5 * S;
        LogLimiter l = new LogLimiter(10, TimeUnit.SECONDS, t0);
        assertThat(l.permit(t0)).isZero();
        assertThat(l.permit(t0 + 9 * S)).isEqualTo(-1);
        assertThat(l.permit(t0 + 10 * S)).isEqualTo(1);
    }
}

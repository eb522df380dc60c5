package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void plainNamesComeBackAsTheSameString() {
        String name = "web-443 ünïcode 名前";
        assertThat(LogSafe.escape(name)).isSameAs(name);
    }

    @Test
    void controlAndBidiCharactersAreWrittenAsUnicodeEscapes() {
        assertThat(LogSafe.escape("a\nb\rc\u0000d\u001be\u007ff\u0085g\u009fh"))
                .isEqualTo("a\\u000Ab\\u000Dc\\u0000d\\u001Be\\u007Ff\\u0085g\\u009Fh");
        assertThat(LogSafe.escape("x\u202Ey\u202Az\u2066\u2069\u200E\u200F\u061C\u2028\u2029"))
                .isEqualTo("x\\u202Ey\\u202Az\\u2066\\u2069\\u200E\\u200F\\u061C\\u2028\\u2029");
    }

    @Test
    void aBackslashIsDoubledSoAnEscapeCannotBeFaked() {
        assertThat(LogSafe.escape("\\u202E")).isEqualTo("\\\\u202E");
        assertThat(LogSafe.escape("\u202E")).isNotEqualTo(LogSafe.escape("\\u202E"));
    }

    @Test
    void nullIsPrintedAsNull() {
        assertThat(LogSafe.escape(null)).isEqualTo("null");
    }
}

package dev.portico.discovery.kubernetes;

import dev.portico.api.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LabelSelectorsTest {

    private static LabelSelectors.Selector parse(String text) {
        return LabelSelectors.parse(text, "label selector");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "a=b,c!=d,e in (f,g),!h     | a=b,c!=d,e in (f,g),!h",
            "  a == b ,  c != d         | a=b,c!=d",
            "e notin ( y , x )          | e notin (x,y)",
            "h                          | h",
            "example.com/tier=web       | example.com/tier=web",
            "a=                         | a=",
            "x>5,y<-3                   | x>5,y<-3",
            "app.kubernetes.io/name in (web) , !example.com/skip | app.kubernetes.io/name in (web),!example.com/skip",
    })
    void parsesEveryFormToTheCanonicalForm(String text, String canonical) {
        assertThat(parse(text).toString()).isEqualTo(canonical);
    }

    @Test
    void blankSelectsEverything() {
        assertThat(parse(null).isEmpty()).isTrue();
        assertThat(parse("  ").matches(Map.of("any", "thing"))).isTrue();
        assertThat(parse("").toString()).isEmpty();
    }

    @Test
    void matchesAsTheApiServerDoes() {
        LabelSelectors.Selector s = parse("a=b,c!=d,e in (f,g),!h");
        assertThat(s.matches(Map.of("a", "b", "e", "f"))).isTrue();
        assertThat(s.matches(Map.of("a", "b", "c", "x", "e", "g"))).isTrue();
        assertThat(s.matches(Map.of("a", "b", "c", "d", "e", "f"))).isFalse();
        assertThat(s.matches(Map.of("a", "b", "e", "x"))).isFalse();
        assertThat(s.matches(Map.of("a", "b"))).isFalse();
        assertThat(s.matches(Map.of("a", "b", "e", "f", "h", ""))).isFalse();
        assertThat(s.matches(Map.of("e", "f"))).isFalse();
        assertThat(s.matches(null)).isFalse();

        assertThat(parse("e notin (x)").matches(Map.of())).isTrue();
        assertThat(parse("e notin (x)").matches(Map.of("e", "x"))).isFalse();
        assertThat(parse("h").matches(Map.of("h", ""))).isTrue();
        assertThat(parse("h").matches(Map.of("hh", "1"))).isFalse();
        assertThat(parse("a=").matches(Map.of("a", ""))).isTrue();
        assertThat(parse("n>5").matches(Map.of("n", "6"))).isTrue();
        assertThat(parse("n>5").matches(Map.of("n", "5"))).isFalse();
        assertThat(parse("n<5").matches(Map.of("n", "x"))).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "a=b,,c        | 5  | expected a label key, found ','",
            "e in (f,g     | 10 | expected ',' or ')' in the 'in' list, found the end",
            "e in ()       | 7  | 'in' needs at least one value",
            "e in f        | 6  | expected '(' after 'in', found 'f'",
            "a b           | 3  | expected an operator (=, ==, !=, in, notin, >, <) after 'a', found 'b'",
            "a=b c         | 5  | expected ',' or the end after a requirement, found 'c'",
            "!h=x          | 3  | '!h' takes no operator or value, found '='",
            "x>y           | 3  | '>' needs a whole number, found 'y'",
            "-bad=1        | 1  | '-bad' is not a valid label key",
            "Example.com/a=1 | 1 | 'Example.com/a' has an invalid key prefix 'Example.com'",
            "a=b_          | 3  | 'b_' is not a valid label value",
            "a=(           | 3  | expected a value after '=', found '('",
    })
    void aMistakeIsReportedWithTheFlagAndItsPosition(String text, int position, String problem) {
        assertThatThrownBy(() -> parse(text))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("label selector '" + text + "': at position " + position + ": " + problem);
    }
}

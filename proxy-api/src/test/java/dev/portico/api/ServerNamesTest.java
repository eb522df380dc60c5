package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServerNamesTest {

    @Test
    void namesAreLowerCasedAndLoseATrailingDot() {
        assertThat(ServerNames.parse("Grafana.Example.ORG.")).isEqualTo("grafana.example.org");
        assertThat(ServerNames.parse("*.Apps.example.org")).isEqualTo("*.apps.example.org");
    }

    @Test
    void aWildcardIsOnlyTheWholeFirstLabel() {
        assertThatThrownBy(() -> ServerNames.parse("a.*.example.org")).hasMessageContaining("whole first label");
        assertThatThrownBy(() -> ServerNames.parse("*foo.example.org")).hasMessageContaining("whole first label");
        assertThatThrownBy(() -> ServerNames.parse("*")).hasMessageContaining("whole first label");
    }

    @Test
    void notDnsNamesAreRefused() {
        assertThatThrownBy(() -> ServerNames.parse("exa mple.org")).hasMessageContaining("'exa mple'");
        assertThatThrownBy(() -> ServerNames.parse("-a.org")).hasMessageContaining("inner hyphens");
        assertThatThrownBy(() -> ServerNames.parse("a..org")).hasMessageContaining("empty or over-long label");
        assertThatThrownBy(() -> ServerNames.parse("10.0.0.1")).hasMessageContaining("IP address");
        assertThatThrownBy(() -> ServerNames.parse(" ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ServerNames.parse("a".repeat(64) + ".org")).hasMessageContaining("over-long");
    }

    @Test
    void aNameListedTwiceInOneFrontendIsRefused() {
        assertThatThrownBy(() -> ServerNames.parseAll(List.of("a.org", "A.org"))).hasMessageContaining("listed twice");
    }

    @Test
    void frontendsKeepTheirNamesCanonical() {
        Frontend f = Frontend.builder(":443").sni(List.of("A.Example.org")).build();
        assertThat(f.sni()).containsExactly("a.example.org");
        assertThat(f.sameSettings(f.toBuilder().sni(List.of()).build())).isFalse();
    }
}

package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FrontendSettingsTest {

    @Test
    void typoDistanceFindsTranspositionsAndNothingForAnotherWord() {
        assertThat(FrontendSettings.closest("healthIntreval", List.of("bind", "healthInterval", "health")))
                .isEqualTo("healthInterval");
        assertThat(FrontendSettings.closest("color", List.of("bind", "backends"))).isNull();
        assertThat(FrontendSettings.closest("portico.dev/balanse", List.of("portico.dev/balance", "portico.dev/deny")))
                .isEqualTo("portico.dev/balance");
    }

    @Test
    void everyRowHasItsOwnKeysAndEveryAnnotationKeyHasAKnownPrefix() {
        Set<String> fileKeys = new HashSet<>();
        Set<String> annotationKeys = new HashSet<>();
        for (FrontendSettings.Setting<?> s : FrontendSettings.ALL) {
            assertThat(fileKeys.add(s.fileKey())).as(s.fileKey()).isTrue();
            if (s.annotationKey() != null) {
                assertThat(annotationKeys.add(s.annotationKey())).as(s.annotationKey()).isTrue();
                assertThat(s.annotationKey()).satisfiesAnyOf(
                        k -> assertThat(k).startsWith(FrontendSettings.ANNOTATION_PREFIX),
                        k -> assertThat(k).startsWith(FrontendSettings.L4PROXY_ANNOTATION_PREFIX));
            }
            if (s.replaces() != null) {
                assertThat(FrontendSettings.ALL.indexOf(s.replaces())).as("applied before what replaces it")
                        .isLessThan(FrontendSettings.ALL.indexOf(s));
            }
        }
    }

    @Test
    void aFrontendIsAValueBuiltOnlyByItsBuilder() {
        Frontend a = Frontend.builder(":80").backend("10.0.0.1:80").idleTimeout(Duration.ofMinutes(5)).build();
        Frontend b = Frontend.builder(":80").backend("10.0.0.1:80").idleTimeout(Duration.ofMinutes(5)).build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.toBuilder().build()).isEqualTo(a);
        assertThat(a.toString()).contains("bind=:80", "idleTimeout=PT5M");
        assertThat(a).isNotEqualTo(a.toBuilder().maxConnections(3).build());
    }

    @Test
    void sameSettingsIgnoresOnlyNameBackendsSourceAndOrigin() {
        Frontend a = Frontend.builder(":80").backend("10.0.0.1:80").build();
        Frontend renamed = a.toBuilder().name("web").backends(List.of()).source("k8s").origin("default/web").build();
        assertThat(a.sameSettings(renamed)).isTrue();
        assertThat(a.sameSettings(a.toBuilder().healthRise(1).build())).isFalse();
        assertThat(a.sameSettings(a.toBuilder().maxConnections(3).build())).isFalse();
    }

    @Test
    void udpDefaultsApplyUnlessSaidAndSaidValuesSurviveTheProtocol() {
        Frontend udp = Frontend.builder(":53").protocol(Protocol.UDP).healthRise(1).build();
        assertThat(udp.idleTimeout()).isEqualTo(Frontend.DEFAULT_UDP_IDLE_TIMEOUT);
        assertThat(udp.health().enabled()).isFalse();
        assertThat(udp.health().rise()).isEqualTo(1);
        assertThat(Frontend.builder(":53").protocol(Protocol.UDP).healthEnabled(true).build().health().enabled())
                .isTrue();
    }

    @Test
    void anAcceptProxyTimeoutAloneIsRefused() {
        assertThatThrownBy(() -> Frontend.builder(":80").acceptProxyTimeout(Duration.ofSeconds(1)).build())
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("accepting PROXY headers needs at least one trusted network");
    }
}

package dev.portico.discovery.kubernetes;

import dev.portico.api.fixtures.RecordingListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portico.api.Conflict;
import dev.portico.api.DesiredState;
import dev.portico.api.FrontendSettings;
import dev.portico.api.Frontend;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.Snapshot;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Services that share an exposure port by TLS server name ({@code portico.dev/sni}), against the mock API server. */
class SniServicesTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final MockKube kube = new MockKube();
    private final RecordingListener listener = new RecordingListener();
    private KubernetesClient client;
    private KubernetesServiceSource source;

    @BeforeEach
    void startApiServer() {
        kube.start();
        client = kube.newClient();
        source = KubernetesServiceSource.builder().client(client).build();
        source.start(listener);
        await().atMost(PATIENCE).until(() -> listener.last() != null);
    }

    @AfterEach
    void stop() {
        source.close();
        kube.close();
    }

    private Service createNamed(String name, String sni, String ip) {
        Service s = MockKube.loadBalancer("default", name, List.of(443), ip).build();
        s.getMetadata().setAnnotations(Map.of(FrontendSettings.SNI.annotationKey(), sni));
        return MockKube.create(client, s);
    }

    private List<Event> conflictEvents(String serviceName) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> ConflictReporter.REASON.equals(e.getReason()))
                .filter(e -> serviceName.equals(e.getInvolvedObject().getName()))
                .toList();
    }

    /** What the coordinator would serve: all but the losers of the snapshot's conflicts. */
    private DesiredState merged() {
        Snapshot snapshot = new Snapshot("kubernetes", listener.frontends());
        List<Frontend> losers = snapshot.conflicts().stream().map(Conflict::loser).toList();
        return new DesiredState(snapshot.frontends().stream().filter(f -> !losers.contains(f)).toList());
    }

    @Test
    void twoServicesWithDisjointNamesShareTheExposurePortAndAnOverlappingOneIsAConflict() {
        Service grafana = createNamed("grafana", "grafana.example.org", "127.0.0.2");
        createNamed("apps", "*.apps.example.org,Apps.Example.org", "127.0.0.3");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(merged().frontends()).hasSize(2));
        assertThat(merged().frontends()).extracting(Frontend::sni).containsExactlyInAnyOrder(
                List.of("grafana.example.org"), List.of("*.apps.example.org", "apps.example.org"));
        assertThat(listener.errors).isEmpty();
        assertThat(conflictEvents("apps")).isEmpty();

        Instant created = ServiceMapper.createdAt(grafana);
        await().atMost(PATIENCE).until(() -> Instant.now().getEpochSecond() > created.getEpochSecond() + 1);
        createNamed("late", "other.example.org,GRAFANA.example.org", "127.0.0.4");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(conflictEvents("late")).hasSize(1));
        assertThat(conflictEvents("late").get(0).getMessage()).contains(":443 server name grafana.example.org")
                .contains("default/grafana");
        assertThat(listener.errors).filteredOn(e -> e.place().equals("default/late")).singleElement();
        assertThat(merged().frontends()).extracting(Frontend::origin)
                .containsExactlyInAnyOrder("default/grafana", "default/apps");
    }

    @Test
    void theAnnotationIsReadAsDnsNames() {
        assertThat(Annotations.parse(Map.of(FrontendSettings.SNI.annotationKey(), " a.example.org , *.B.example.org")).sample().sni())
                .containsExactly("a.example.org", "*.b.example.org");
        assertThat(Annotations.parse(Map.of()).sample().sni()).isEmpty();
        assertThatThrownBy(() -> Annotations.parse(Map.of(FrontendSettings.SNI.annotationKey(), "a.example.org,,b.org")))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("annotation portico.dev/sni: ")
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> Annotations.parse(Map.of(FrontendSettings.SNI.annotationKey(), "a.*.org")))
                .hasMessageStartingWith("annotation portico.dev/sni: server name 'a.*.org'");
        assertThatThrownBy(() -> Annotations.parse(Map.of(FrontendSettings.SNI.annotationKey(), " ")))
                .hasMessageStartingWith("annotation portico.dev/sni: is empty");
    }
}

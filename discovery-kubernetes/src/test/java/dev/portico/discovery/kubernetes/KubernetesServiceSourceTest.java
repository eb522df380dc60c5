package dev.portico.discovery.kubernetes;

import dev.portico.api.fixtures.RecordingListener;
import dev.portico.api.BindAddress;
import dev.portico.api.FrontendSettings;
import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.Protocol;
import dev.portico.api.ProxyProtocol;
import dev.portico.api.Snapshot;
import dev.portico.discovery.kubernetes.KubernetesServiceSource.WatchState;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The source against fabric8's CRUD mock API server, through the real informer, HTTP and watches. */
class KubernetesServiceSourceTest {

    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final MockKube kube = new MockKube();
    private final RecordingListener listener = new RecordingListener();
    private KubernetesClient client;
    private KubernetesServiceSource source;

    @BeforeEach
    void startApiServer() {
        kube.start();
        client = kube.newClient();
    }

    @AfterEach
    void stop() {
        if (source != null) {
            source.close();
        }
        kube.close();
    }

    private KubernetesServiceSource start(KubernetesServiceSource.Builder builder) {
        source = builder.client(client).build();
        source.start(listener);
        await().atMost(PATIENCE).until(() -> listener.last() != null);
        return source;
    }

    private Service create(Service service) {
        return MockKube.create(client, service);
    }

    private static Service lb(String ns, String name, List<Integer> ports, String... ips) {
        return MockKube.loadBalancer(ns, name, ports, ips).build();
    }

    private void edit(String ns, String name, UnaryOperator<Service> change) {
        client.services().inNamespace(ns).withName(name).edit(change);
    }

    /** Waits for the last snapshot to hold exactly these frontends, in any order (age order is tested apart). */
    private void awaitSummary(String... expected) {
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.summary()).containsExactlyInAnyOrder(expected));
    }

    private Frontend frontendOf(String origin) {
        return listener.frontends().stream().filter(f -> f.origin().equals(origin)).findFirst().orElseThrow();
    }

    @Test
    void publishesTheEmptySnapshotOnlyAfterTheFirstListAndThenWatches() {
        start(KubernetesServiceSource.builder());
        assertThat(listener.snapshots).hasSize(1);
        assertThat(listener.last()).isEqualTo(new Snapshot("kubernetes", List.of()));
        await().atMost(PATIENCE).until(source::isWatching);
        assertThat(source.watchState()).isEqualTo(WatchState.WATCHING);
    }

    @Test
    void createUpdateAndDeleteOfServicesAreReflected() {
        start(KubernetesServiceSource.builder());
        create(lb("default", "web", List.of(80, 443), "127.0.0.2"));
        awaitSummary(":80 -> 127.0.0.2:80", ":443 -> 127.0.0.2:443");
        Frontend f = listener.frontends().get(0);
        assertThat(f.name()).isEqualTo("default/web:p80");
        assertThat(f.origin()).isEqualTo("default/web");
        assertThat(f.source()).isEqualTo("kubernetes");

        edit("default", "web", s -> {
            s.getSpec().getPorts().remove(1);
            s.getSpec().getPorts().add(new ServicePortBuilder().withName("alt").withPort(8080).build());
            return s;
        });
        awaitSummary(":80 -> 127.0.0.2:80", ":8080 -> 127.0.0.2:8080");

        Service current = client.services().inNamespace("default").withName("web").get();
        current.getStatus().getLoadBalancer().setIngress(List.of(
                new LoadBalancerIngressBuilder().withIp("127.0.0.2").build(),
                new LoadBalancerIngressBuilder().withIp("127.0.0.3").build()));
        client.services().inNamespace("default").resource(current).updateStatus();
        awaitSummary(":80 -> 127.0.0.2:80,127.0.0.3:80", ":8080 -> 127.0.0.2:8080,127.0.0.3:8080");

        edit("default", "web", s -> {
            s.getMetadata().setAnnotations(Map.of(FrontendSettings.IDLE_TIMEOUT.annotationKey(), "90s", FrontendSettings.BALANCE.annotationKey(), "leastconn"));
            return s;
        });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.frontends())
                .allSatisfy(fe -> assertThat(fe.idleTimeout()).isEqualTo(Duration.ofSeconds(90))));

        edit("default", "web", s -> {
            s.getSpec().setType("ClusterIP");
            return s;
        });
        awaitSummary();
        edit("default", "web", s -> {
            s.getSpec().setType("LoadBalancer");
            return s;
        });
        awaitSummary(":80 -> 127.0.0.2:80,127.0.0.3:80", ":8080 -> 127.0.0.2:8080,127.0.0.3:8080");

        client.services().inNamespace("default").withName("web").delete();
        awaitSummary();
    }

    @Test
    void servicesWithoutIngressOrBeingDeletedYieldNothing() {
        start(KubernetesServiceSource.builder());
        create(lb("default", "pending", List.of(81)));
        create(new io.fabric8.kubernetes.api.model.ServiceBuilder(lb("default", "finalized", List.of(82), "127.0.0.2"))
                .editMetadata().withFinalizers("example.test/hold").endMetadata().build());
        awaitSummary(":82 -> 127.0.0.2:82");
        client.services().inNamespace("default").withName("finalized").delete();
        awaitSummary();
        assertThat(client.services().inNamespace("default").withName("finalized").get().getMetadata()
                .getDeletionTimestamp()).isNotNull();
    }

    @Test
    void labelSelectorAndNamespacesFilterEndToEnd() {
        start(KubernetesServiceSource.builder()
                .namespace("team-a")
                .labelSelector("a=b,c!=d,e in (f,g),!h"));
        create(labelled(lb("team-a", "in-no-c", List.of(1001), "127.0.0.2"), Map.of("a", "b", "e", "f")));
        create(labelled(lb("team-a", "in-c-other", List.of(1002), "127.0.0.2"), Map.of("a", "b", "c", "x", "e", "g")));
        create(labelled(lb("team-b", "other-namespace", List.of(1003), "127.0.0.2"), Map.of("a", "b", "e", "f")));
        create(labelled(lb("team-a", "c-is-d", List.of(1004), "127.0.0.2"), Map.of("a", "b", "c", "d", "e", "f")));
        create(labelled(lb("team-a", "e-not-in-set", List.of(1005), "127.0.0.2"), Map.of("a", "b", "e", "x")));
        create(labelled(lb("team-a", "has-h", List.of(1006), "127.0.0.2"), Map.of("a", "b", "e", "f", "h", "")));
        create(labelled(lb("team-a", "a-missing", List.of(1007), "127.0.0.2"), Map.of("e", "f")));
        awaitSummary(":1001 -> 127.0.0.2:1001", ":1002 -> 127.0.0.2:1002");

        // a label change moves a Service into and out of the selection
        client.services().inNamespace("team-a").withName("a-missing")
                .edit(s -> labelled(s, Map.of("a", "b", "e", "g")));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.summary()).contains(":1007 -> 127.0.0.2:1007"));
        client.services().inNamespace("team-a").withName("in-no-c")
                .edit(s -> labelled(s, Map.of("a", "b", "e", "f", "h", "x")));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.summary())
                .doesNotContain(":1001 -> 127.0.0.2:1001").contains(":1007 -> 127.0.0.2:1007"));
        assertThat(source.labelSelector()).isEqualTo("a=b,c!=d,e in (f,g),!h");
    }

    private static Service labelled(Service s, Map<String, String> labels) {
        s.getMetadata().setLabels(labels);
        return s;
    }

    @Test
    void theOlderServiceWinsABindConflictAndTheLoserGetsAWarningEvent() {
        start(KubernetesServiceSource.builder());
        Service older = create(lb("default", "zeta", List.of(80), "127.0.0.2"));
        Instant olderCreated = ServiceMapper.createdAt(older);
        // creation times have one-second resolution: make the second Service measurably younger
        await().atMost(PATIENCE).until(() -> Instant.now().getEpochSecond() > olderCreated.getEpochSecond());
        create(lb("default", "alpha", List.of(80, 81), "127.0.0.3"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.frontends())
                .extracting(Frontend::origin).containsExactly("default/zeta", "default/alpha", "default/alpha"));
        assertThat(listener.frontends().get(1).bind()).isEqualTo(BindAddress.wildcard(80));

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(conflictEvents("alpha")).hasSize(1));
        Event event = conflictEvents("alpha").get(0);
        assertThat(event.getType()).isEqualTo("Warning");
        assertThat(event.getInvolvedObject().getKind()).isEqualTo("Service");
        assertThat(event.getMessage()).contains(":80").contains("default/zeta");
        assertThat(listener.errors).filteredOn(e -> e.place().equals("default/alpha"))
                .singleElement().satisfies(e -> assertThat(e.message()).contains("default/zeta"));

        // another change does not report the same conflict again
        create(lb("default", "other", List.of(90), "127.0.0.4"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.summary()).contains(":90 -> 127.0.0.4:90"));
        assertThat(listener.errors).filteredOn(e -> e.place().equals("default/alpha")).hasSize(1);
        assertThat(conflictEvents("alpha")).hasSize(1);
        assertThat(conflictEvents("zeta")).isEmpty();

        // when the winner goes, the loser is served and its conflict is reported as over
        client.services().inNamespace("default").withName("zeta").delete();
        awaitSummary(":80 -> 127.0.0.3:80", ":81 -> 127.0.0.3:81", ":90 -> 127.0.0.4:90");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.recovered).contains("default/alpha"));
    }

    private List<Event> conflictEvents(String serviceName) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> ConflictReporter.REASON.equals(e.getReason()))
                .filter(e -> serviceName.equals(e.getInvolvedObject().getName()))
                .toList();
    }

    @Test
    void aBadAnnotationRejectsOnlyThatServiceAndItsLastGoodFrontendsKeepServing() {
        start(KubernetesServiceSource.builder());
        create(lb("default", "web", List.of(80), "127.0.0.2"));
        Service api = lb("default", "api", List.of(8443), "127.0.0.3");
        api.getMetadata().setAnnotations(Map.of(FrontendSettings.IDLE_TIMEOUT.annotationKey(), "10m"));
        create(api);
        awaitSummary(":80 -> 127.0.0.2:80", ":8443 -> 127.0.0.3:8443");

        edit("default", "api", s -> {
            s.getMetadata().setAnnotations(Map.of(FrontendSettings.IDLE_TIMEOUT.annotationKey(), "abc"));
            s.getStatus().getLoadBalancer().setIngress(List.of(new LoadBalancerIngressBuilder().withIp("127.0.0.9").build()));
            return s;
        });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errorTexts()).anySatisfy(t -> assertThat(t)
                .startsWith("default/api: annotation portico.dev/idle-timeout: 'abc' is not a duration (")));
        // a change elsewhere is served while api keeps its last good frontend
        edit("default", "web", s -> {
            s.getSpec().getPorts().add(new ServicePortBuilder().withPort(8080).build());
            return s;
        });
        awaitSummary(":80 -> 127.0.0.2:80", ":8080 -> 127.0.0.2:8080", ":8443 -> 127.0.0.3:8443");
        assertThat(frontendOf("default/api").idleTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(listener.recovered).isEmpty();

        edit("default", "api", s -> {
            s.getMetadata().setAnnotations(Map.of(FrontendSettings.IDLE_TIMEOUT.annotationKey(), "90s"));
            return s;
        });
        awaitSummary(":80 -> 127.0.0.2:80", ":8080 -> 127.0.0.2:8080", ":8443 -> 127.0.0.9:8443");
        assertThat(frontendOf("default/api").idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(listener.recovered).containsExactly("default/api");
        assertThat(listener.errorTexts()).hasSize(1);
    }

    @Test
    void accessAndProxyProtocolAnnotationsArePublishedAndFollowTheirChanges() {
        start(KubernetesServiceSource.builder());
        Service s = lb("default", "ingress", List.of(443), "127.0.0.2");
        s.getMetadata().setAnnotations(Map.of(FrontendSettings.ALLOW.annotationKey(), "192.168.0.0/16,fd00::/8",
                FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v2"));
        s.getSpec().setLoadBalancerSourceRanges(List.of("192.168.1.0/24"));
        create(s);
        awaitSummary(":443 -> 127.0.0.2:443");
        Frontend first = frontendOf("default/ingress");
        assertThat(first.allow()).containsExactly(Cidr.parse("192.168.0.0/16"), Cidr.parse("fd00::/8"));
        assertThat(first.sendProxy()).isEqualTo(ProxyProtocol.V2);

        edit("default", "ingress", x -> {
            x.getMetadata().setAnnotations(Map.of(FrontendSettings.ALLOW.annotationKey(), "10.0.0.0/8", FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v1"));
            return x;
        });
        await().atMost(PATIENCE).untilAsserted(() -> {
            Frontend f = frontendOf("default/ingress");
            assertThat(f.allow()).containsExactly(Cidr.parse("10.0.0.0/8"));
            assertThat(f.sendProxy()).isEqualTo(ProxyProtocol.V1);
        });

        // without the annotation, the Service's own source ranges are the allow list
        edit("default", "ingress", x -> {
            x.getMetadata().setAnnotations(Map.of(FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v1"));
            return x;
        });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(frontendOf("default/ingress").allow())
                .containsExactly(Cidr.parse("192.168.1.0/24")));
        assertThat(listener.summary()).containsExactly(":443 -> 127.0.0.2:443");
        assertThat(listener.errors).isEmpty();
    }

    @Test
    void anUnknownPorticoAnnotationIsNotSilentlyIgnored() {
        start(KubernetesServiceSource.builder());
        Service s = lb("default", "typo", List.of(80), "127.0.0.2");
        s.getMetadata().setAnnotations(Map.of("portico.dev/idle-timout", "5m"));
        create(s);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errorTexts()).singleElement()
                .satisfies(t -> assertThat(t).startsWith("default/typo: annotation portico.dev/idle-timout is not known")
                        .contains("did you mean portico.dev/idle-timeout?")));
        assertThat(listener.frontends()).isEmpty();
    }

    @Test
    void exposureClassesAreChosenByAnnotationBySelectorOrByDefault() {
        start(KubernetesServiceSource.builder()
                .bind("127.0.0.1")
                .expose("internal=127.0.0.10")
                .expose("external", BindAddress.parse("127.0.0.11:0"), "exposure=external"));
        create(annotated(lb("default", "a-internal", List.of(1001), "127.0.0.2"), "internal"));
        create(annotated(lb("default", "b-both", List.of(1002), "127.0.0.2"), "internal, external"));
        create(labelled(lb("default", "c-selected", List.of(1003), "127.0.0.2"), Map.of("exposure", "external")));
        create(lb("default", "d-default", List.of(1004), "127.0.0.2"));
        create(annotated(lb("default", "e-unknown", List.of(1005), "127.0.0.2"), "dmz"));
        awaitSummary("127.0.0.10:1001 -> 127.0.0.2:1001", "127.0.0.10:1002 -> 127.0.0.2:1002",
                "127.0.0.11:1002 -> 127.0.0.2:1002", "127.0.0.11:1003 -> 127.0.0.2:1003",
                "127.0.0.1:1004 -> 127.0.0.2:1004");
        assertThat(listener.frontends()).extracting(Frontend::name).contains("default/b-both:p1002@internal",
                "default/b-both:p1002@external", "default/d-default:p1004");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errorTexts()).singleElement()
                .satisfies(t -> assertThat(t).startsWith("default/e-unknown: annotation portico.dev/exposure: 'dmz'")));
    }

    private static Service annotated(Service s, String exposure) {
        s.getMetadata().setAnnotations(Map.of(Annotations.EXPOSURE, exposure));
        return s;
    }

    @Test
    void aHostnameIngressBecomesAHostnameBackend() {
        start(KubernetesServiceSource.builder());
        Service s = lb("default", "named", List.of(443));
        s.getStatus().getLoadBalancer().setIngress(List.of(new LoadBalancerIngressBuilder().withHostname("LB.example.test").build()));
        create(s);
        awaitSummary(":443 -> lb.example.test:443");
    }

    @Test
    void tcpAndUdpPortsOfOneServiceAreBothServed() {
        start(KubernetesServiceSource.builder());
        Service s = lb("default", "dns", List.of(53), "127.0.0.2");
        s.getSpec().getPorts().add(new ServicePortBuilder().withName("dns-udp").withPort(53).withProtocol("UDP").build());
        create(s);
        awaitSummary(":53 -> 127.0.0.2:53", ":53/udp -> 127.0.0.2:53");
        Frontend udp = listener.frontends().stream().filter(f -> f.protocol() == Protocol.UDP).findFirst().orElseThrow();
        assertThat(udp.name()).isEqualTo("default/dns:dns-udp");
        assertThat(udp.idleTimeout()).isEqualTo(Frontend.DEFAULT_UDP_IDLE_TIMEOUT);
        assertThat(udp.health().enabled()).isFalse();
        assertThat(listener.errorTexts()).isEmpty();
    }

    @Test
    void anSctpPortIsReportedOnceAsNotServed() {
        start(KubernetesServiceSource.builder());
        Service s = lb("default", "sig", List.of(53), "127.0.0.2");
        s.getSpec().getPorts().add(new ServicePortBuilder().withName("diameter").withPort(3868).withProtocol("SCTP").build());
        create(s);
        awaitSummary(":53 -> 127.0.0.2:53");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errorTexts())
                .containsExactly("default/sig: port 3868/SCTP (diameter) is not served: Portico forwards TCP and UDP only"));
        edit("default", "sig", x -> labelled(x, Map.of("touched", "yes")));
        create(lb("default", "later", List.of(54), "127.0.0.2"));
        awaitSummary(":53 -> 127.0.0.2:53", ":54 -> 127.0.0.2:54");
        assertThat(listener.errors).hasSize(1);
    }

    @Test
    void theLastStateKeepsServingWhileTheApiServerIsDownAndChangesArriveAfterItReturns() {
        start(KubernetesServiceSource.builder());
        create(lb("default", "web", List.of(80), "127.0.0.2"));
        awaitSummary(":80 -> 127.0.0.2:80");
        await().atMost(PATIENCE).until(source::isWatching);
        int before = listener.snapshots.size();

        kube.stop();
        await().atMost(PATIENCE).until(() -> source.watchState() == WatchState.RETRYING);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errorTexts()).anySatisfy(t ->
                assertThat(t).contains("lost the watch on the Kubernetes API at " + source.apiUrl())));
        assertThat(listener.snapshots).hasSize(before);
        assertThat(listener.summary()).containsExactly(":80 -> 127.0.0.2:80");

        kube.restart();
        MockKube.create(kube.newClient(), lb("default", "db", List.of(5432), "127.0.0.3"));
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(listener.summary()).containsExactlyInAnyOrder(":80 -> 127.0.0.2:80", ":5432 -> 127.0.0.3:5432"));
        await().atMost(PATIENCE).until(source::isWatching);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.recovered).contains(source.apiUrl()));
        assertThat(listener.snapshots.subList(before, listener.snapshots.size()))
                .allSatisfy(s -> assertThat(s.frontends()).isNotEmpty());
    }

    @Test
    void startingWhileTheApiServerIsUnreachableReportsItAndRecoversWhenItAppears() {
        kube.stop();
        source = KubernetesServiceSource.builder().client(client).build();
        source.start(listener);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errorTexts()).anySatisfy(t ->
                assertThat(t).contains("cannot reach the Kubernetes API at " + source.apiUrl() + ": ")));
        assertThat(source.watchState()).isEqualTo(WatchState.RETRYING);
        assertThat(listener.snapshots).isEmpty();

        kube.restart();
        MockKube.create(kube.newClient(), lb("default", "web", List.of(80), "127.0.0.2"));
        awaitSummary(":80 -> 127.0.0.2:80");
        await().atMost(PATIENCE).until(source::isWatching);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.recovered).contains(source.apiUrl()));
    }

    @Test
    void aForbiddenListIsReportedAsARbacProblemAndRetried() {
        kube.failNext("/api/v1/services?resourceVersion=0", 403, 1);
        source = KubernetesServiceSource.builder().client(client).build();
        source.start(listener);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errorTexts()).anySatisfy(t -> assertThat(t)
                .contains("the Kubernetes API at " + source.apiUrl() + " refuses to list Services (HTTP 403")
                .contains("grant get, list and watch on services")));
        await().atMost(PATIENCE).until(source::isWatching);
        // the first snapshot follows the first list after the debounce, so it may come just after the state turns
        await().atMost(PATIENCE).untilAsserted(() ->
                assertThat(listener.last()).isEqualTo(new Snapshot("kubernetes", List.of())));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.recovered).contains(source.apiUrl()));
    }

    @Test
    void aForbiddenEventDoesNotStopTheConflictReportOrTheSource() {
        kube.forbidPosts("/api/v1/namespaces/default/events");
        start(KubernetesServiceSource.builder());
        Service older = create(lb("default", "old", List.of(80), "127.0.0.2"));
        await().atMost(PATIENCE).until(() -> Instant.now().getEpochSecond() > ServiceMapper.createdAt(older).getEpochSecond());
        create(lb("default", "new", List.of(80), "127.0.0.3"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(listener.errors)
                .anySatisfy(e -> assertThat(e.place()).isEqualTo("default/new")));
        create(lb("default", "after", List.of(90), "127.0.0.4"));
        awaitSummary(":80 -> 127.0.0.2:80", ":80 -> 127.0.0.3:80", ":90 -> 127.0.0.4:90");
        assertThat(listener.frontends().get(0).origin()).isEqualTo("default/old");
        assertThat(conflictEvents("new")).isEmpty();
    }
}

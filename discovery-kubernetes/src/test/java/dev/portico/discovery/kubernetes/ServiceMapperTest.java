package dev.portico.discovery.kubernetes;

import dev.portico.api.Backend;
import dev.portico.api.BalancePolicy;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.IpFamily;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The pure mapping, on Services built in memory. */
class ServiceMapperTest {

    private final ServiceMapper mapper = new ServiceMapper(ExposureClasses.wildcardDefault(), "kubernetes");

    private static ServiceBuilder service(String name, String... ips) {
        return MockKube.loadBalancer("shop", name, List.of(80, 443), ips)
                .editMetadata().withUid("uid-" + name).withCreationTimestamp("2024-05-01T10:00:00Z").endMetadata();
    }

    private static Service withIngress(Service s, LoadBalancerIngress... ingress) {
        s.getStatus().getLoadBalancer().setIngress(List.of(ingress));
        return s;
    }

    private static Service annotated(Service s, Map<String, String> annotations) {
        s.getMetadata().setAnnotations(annotations);
        return s;
    }

    private ServiceMapper.Mapped mapped(Service s) {
        ServiceMapper.Result r = mapper.map(s);
        assertThat(r).isInstanceOf(ServiceMapper.Mapped.class);
        return (ServiceMapper.Mapped) r;
    }

    @Test
    void eachTcpPortBecomesOneFrontendWithEveryIngressAddressAsBackend() {
        ServiceMapper.Mapped m = mapped(service("web", "127.0.0.2", "127.0.0.3").build());
        assertThat(m.unserved()).isEmpty();
        assertThat(m.frontends()).hasSize(2);
        Frontend http = m.frontends().get(0);
        assertThat(http.bind()).isEqualTo(BindAddress.wildcard(80));
        assertThat(http.backends()).containsExactly(new Backend("127.0.0.2", 80), new Backend("127.0.0.3", 80));
        assertThat(http.name()).isEqualTo("shop/web:p80");
        assertThat(http.origin()).isEqualTo("shop/web");
        assertThat(http.source()).isEqualTo("kubernetes");
        assertThat(http.health().interval()).isEqualTo(Duration.ofSeconds(5)); // service-announcer's default
        assertThat(m.frontends().get(1).bind()).isEqualTo(BindAddress.wildcard(443));
    }

    @Test
    void ingressEntriesAreDeduplicatedAndHostnamesKeptAsNames() {
        Service s = withIngress(service("web").build(),
                new LoadBalancerIngressBuilder().withIp("fd00::1").build(),
                new LoadBalancerIngressBuilder().withIp("fd00::1").withHostname("ignored.example.test").build(),
                new LoadBalancerIngressBuilder().withHostname("LB.Example.Test").build(),
                new LoadBalancerIngressBuilder().build());
        Frontend f = mapped(s).frontends().get(0);
        assertThat(f.backends()).extracting(Backend::address).containsExactly("[fd00::1]:80", "lb.example.test:80");
    }

    @Test
    void aPortWithoutProtocolIsTcpAndOtherProtocolsAreReportedAsNotServed() {
        Service s = service("dns", "127.0.0.2").build();
        s.getSpec().setPorts(new ArrayList<>(List.of(
                new ServicePortBuilder().withPort(53).build(),
                new ServicePortBuilder().withName("dns-udp").withPort(53).withProtocol("UDP").build(),
                new ServicePortBuilder().withPort(3868).withProtocol("SCTP").build())));
        ServiceMapper.Mapped m = mapped(s);
        assertThat(m.frontends()).extracting(f -> f.bind().port()).containsExactly(53);
        assertThat(m.frontends().get(0).name()).isEqualTo("shop/dns:53");
        assertThat(m.unserved()).containsExactly("port 53/UDP (dns-udp)", "port 3868/SCTP");
    }

    @Test
    void servicesThatAreNotServedYieldNothing() {
        assertThat(mapper.map(service("pending").build())).isInstanceOf(ServiceMapper.Ignored.class);
        assertThat(mapper.map(service("cip", "127.0.0.2").editSpec().withType("ClusterIP").endSpec().build()))
                .isEqualTo(new ServiceMapper.Ignored("type ClusterIP, not LoadBalancer"));
        assertThat(mapper.map(service("going", "127.0.0.2").editMetadata()
                .withDeletionTimestamp("2024-05-02T10:00:00Z").endMetadata().build()))
                .isEqualTo(new ServiceMapper.Ignored("being deleted"));
    }

    @Test
    void annotationsSetTheFrontendSettings() {
        Service s = annotated(service("web", "127.0.0.2").build(), Map.of(
                Annotations.L4PROXY_HEALTH_INTERVAL, "7",
                Annotations.IDLE_TIMEOUT, "5m",
                Annotations.CONNECT_TIMEOUT, "250ms",
                Annotations.BALANCE, "leastconn",
                Annotations.HEALTH_INITIAL, "down"));
        Frontend f = mapped(s).frontends().get(0);
        assertThat(f.health().interval()).isEqualTo(Duration.ofSeconds(7));
        assertThat(f.health().initiallyUp()).isFalse();
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(f.connectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(f.balance()).isEqualTo(BalancePolicy.LEAST_CONNECTIONS);
    }

    @Test
    void aBadAnnotationRejectsTheServiceNamingItAndTheAnnotation() {
        ServiceMapper.Result r = mapper.map(annotated(service("web", "127.0.0.2").build(),
                Map.of(Annotations.IDLE_TIMEOUT, "abc")));
        assertThat(r).isInstanceOf(ServiceMapper.Rejected.class);
        assertThat(((ServiceMapper.Rejected) r).message()).startsWith(
                "shop/web: annotation portico.dev/idle-timeout: 'abc' is not a duration (");
        // still reported before the load balancer has handed out an address
        assertThat(mapper.map(annotated(service("early").build(), Map.of(Annotations.BALANCE, "x"))))
                .isInstanceOf(ServiceMapper.Rejected.class);
    }

    @Test
    void exposureClassesGiveOneFrontendPerClassAndPort() {
        ExposureClasses classes = new ExposureClasses(List.of(
                new ExposureClasses.ExposureClass("internal", BindAddress.iface("eth1", IpFamily.IPV4, 0), null),
                new ExposureClasses.ExposureClass("external", BindAddress.iface("eth2", IpFamily.IPV4, 0),
                        LabelSelectors.parse("public=yes", "selector"))), null);
        ServiceMapper m = new ServiceMapper(classes, "k8s");
        Service both = annotated(service("web", "127.0.0.2").build(), Map.of(Annotations.EXPOSURE, "internal,external"));
        assertThat(((ServiceMapper.Mapped) m.map(both)).frontends()).extracting(f -> f.bind().toString())
                .containsExactly("@eth1:80", "@eth2:80", "@eth1:443", "@eth2:443");
        assertThat(((ServiceMapper.Mapped) m.map(both)).frontends()).extracting(Frontend::name)
                .startsWith("shop/web:p80@internal", "shop/web:p80@external");
        Service selected = service("pub", "127.0.0.2").editMetadata().withLabels(Map.of("public", "yes")).endMetadata().build();
        assertThat(((ServiceMapper.Mapped) m.map(selected)).frontends()).extracting(f -> f.bind().toString())
                .containsExactly("@eth2:80", "@eth2:443");
        assertThat(m.map(service("plain", "127.0.0.2").build())).isInstanceOf(ServiceMapper.Ignored.class)
                .satisfies(r -> assertThat(((ServiceMapper.Ignored) r).reason()).startsWith("not exposed"));
        assertThat(m.map(annotated(service("typo", "127.0.0.2").build(), Map.of(Annotations.EXPOSURE, "internl"))))
                .isEqualTo(new ServiceMapper.Rejected("shop/typo", "annotation portico.dev/exposure: 'internl' is not "
                        + "an exposure class (configured: internal, external)"));
    }

    @Test
    void servicesAreOrderedOldestFirstThenByNamespaceAndName() {
        Service young = service("a").editMetadata().withCreationTimestamp("2024-05-02T10:00:00Z").endMetadata().build();
        Service oldB = service("b").build();
        Service oldC = service("c").build();
        Service unsaved = service("0").editMetadata().withCreationTimestamp(null).endMetadata().build();
        List<Service> list = new ArrayList<>(List.of(unsaved, young, oldC, oldB));
        list.sort(ServiceMapper.AGE_ORDER);
        assertThat(list).extracting(ServiceMapper::origin).containsExactly("shop/b", "shop/c", "shop/a", "shop/0");
        assertThat(ServiceMapper.key(oldB)).isEqualTo("uid-b");
    }
}

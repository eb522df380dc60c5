package dev.portico.discovery.kubernetes;

import dev.portico.api.AcceptProxy;
import dev.portico.api.FrontendSettings;
import dev.portico.api.Backend;
import dev.portico.api.BalancePolicy;
import dev.portico.api.BindAddress;
import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.IpFamily;
import dev.portico.api.Protocol;
import dev.portico.api.ProxyProtocol;
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
    void aPortWithoutProtocolIsTcpUdpIsServedAndSctpIsReportedAsNotServed() {
        Service s = service("dns", "127.0.0.2").build();
        s.getSpec().setPorts(new ArrayList<>(List.of(
                new ServicePortBuilder().withPort(53).build(),
                new ServicePortBuilder().withName("dns-udp").withPort(53).withProtocol("UDP").build(),
                new ServicePortBuilder().withPort(3868).withProtocol("SCTP").build())));
        ServiceMapper.Mapped m = mapped(s);
        assertThat(m.frontends()).extracting(f -> f.listen().toString()).containsExactly(":53", ":53/udp");
        assertThat(m.frontends()).extracting(Frontend::name).containsExactly("shop/dns:53", "shop/dns:dns-udp");
        assertThat(m.unserved()).containsExactly("port 3868/SCTP is not served: Portico forwards TCP and UDP only");
    }

    @Test
    void aUdpPortTakesTheAnnotationsThatApplyAndUdpDefaultsOtherwise() {
        Service s = service("dns", "127.0.0.2").build();
        s.getSpec().setPorts(new ArrayList<>(List.of(
                new ServicePortBuilder().withName("dns-udp").withPort(53).withProtocol("UDP").build())));
        Frontend plain = mapped(s).frontends().get(0);
        assertThat(plain.protocol()).isEqualTo(Protocol.UDP);
        assertThat(plain.idleTimeout()).isEqualTo(Frontend.DEFAULT_UDP_IDLE_TIMEOUT);
        assertThat(plain.health().enabled()).isFalse();
        s.getMetadata().setAnnotations(Map.of(FrontendSettings.IDLE_TIMEOUT.annotationKey(), "30s", FrontendSettings.HEALTH_ENABLED.annotationKey(), "true",
                FrontendSettings.MAX_CONNECTIONS.annotationKey(), "500", FrontendSettings.BALANCE.annotationKey(), "source"));
        Frontend annotated = mapped(s).frontends().get(0);
        assertThat(annotated.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(annotated.health().enabled()).isTrue();
        assertThat(annotated.maxConnections()).isEqualTo(500);
        assertThat(annotated.balance()).isEqualTo(BalancePolicy.SOURCE_HASH);
    }

    @Test
    void aUdpPortIsNotServedWhenThePortsAskForProxyProtocolV1AndTheTcpPortsStillAre() {
        Service s = service("dns", "127.0.0.2").build();
        s.getMetadata().setAnnotations(Map.of(FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v1"));
        s.getSpec().setPorts(new ArrayList<>(List.of(
                new ServicePortBuilder().withName("dns").withPort(53).build(),
                new ServicePortBuilder().withName("dns-udp").withPort(53).withProtocol("UDP").build())));
        ServiceMapper.Mapped m = mapped(s);
        assertThat(m.frontends()).extracting(f -> f.listen().toString()).containsExactly(":53");
        assertThat(m.unserved()).containsExactly("port 53/UDP (dns-udp) is not served: " + FrontendSettings.PROXY_PROTOCOL.annotationKey()
                + " v1 cannot be sent over UDP (v2 can)");
    }

    @Test
    void aUdpPortSendsProxyProtocolV2PerDatagramWhenThePortsAskForIt() {
        Service s = service("dns", "127.0.0.2").build();
        s.getMetadata().setAnnotations(Map.of(FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v2"));
        s.getSpec().setPorts(new ArrayList<>(List.of(
                new ServicePortBuilder().withName("dns").withPort(53).build(),
                new ServicePortBuilder().withName("dns-udp").withPort(53).withProtocol("UDP").build())));
        ServiceMapper.Mapped m = mapped(s);
        assertThat(m.frontends()).extracting(f -> f.listen().toString()).containsExactly(":53", ":53/udp");
        assertThat(m.frontends()).extracting(Frontend::sendProxy).containsOnly(ProxyProtocol.V2);
        assertThat(m.unserved()).isEmpty();
    }

    @Test
    void aUdpPortIsNotServedWhenTheServiceIsRoutedByServerNameAndTheTcpPortsStillAre() {
        Service s = service("web", "127.0.0.2").build();
        s.getMetadata().setAnnotations(Map.of(FrontendSettings.SNI.annotationKey(), "web.example.org"));
        s.getSpec().setPorts(new ArrayList<>(List.of(
                new ServicePortBuilder().withName("https").withPort(443).build(),
                new ServicePortBuilder().withName("quic").withPort(443).withProtocol("UDP").build())));
        ServiceMapper.Mapped m = mapped(s);
        assertThat(m.frontends()).extracting(f -> f.listen() + " " + f.sni()).containsExactly(":443 [web.example.org]");
        assertThat(m.unserved()).containsExactly("port 443/UDP (quic) is not served: portico.dev/sni routes TCP ports"
                + " only (a UDP datagram carries no TLS server name)");
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
                FrontendSettings.L4PROXY_HEALTH_INTERVAL.annotationKey(), "7",
                FrontendSettings.IDLE_TIMEOUT.annotationKey(), "5m",
                FrontendSettings.CONNECT_TIMEOUT.annotationKey(), "250ms",
                FrontendSettings.BALANCE.annotationKey(), "leastconn",
                FrontendSettings.HEALTH_INITIAL.annotationKey(), "down"));
        Frontend f = mapped(s).frontends().get(0);
        assertThat(f.health().interval()).isEqualTo(Duration.ofSeconds(7));
        assertThat(f.health().initiallyUp()).isFalse();
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(f.connectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(f.balance()).isEqualTo(BalancePolicy.LEAST_CONNECTIONS);
    }

    @Test
    void operatorAnnotationsSetTheSettingsOfEveryFrontendOfTheService() {
        Service s = annotated(service("web", "127.0.0.2").build(), Map.of(
                FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v1",
                FrontendSettings.ACCEPT_PROXY.annotationKey(), "10.0.0.1/32,192.168.1.0/24",
                FrontendSettings.ACCEPT_PROXY_TIMEOUT.annotationKey(), "2s",
                FrontendSettings.ALLOW.annotationKey(), "192.168.0.0/16,fd00::/8",
                FrontendSettings.DENY.annotationKey(), "192.168.1.66",
                FrontendSettings.MAX_CONNECTIONS.annotationKey(), "500",
                FrontendSettings.AFFINITY.annotationKey(), "3h",
                FrontendSettings.BALANCE.annotationKey(), "source"));
        List<Frontend> frontends = mapped(s).frontends();
        assertThat(frontends).hasSize(2).allSatisfy(f -> {
            assertThat(f.sendProxy()).isEqualTo(ProxyProtocol.V1);
            assertThat(f.acceptProxy()).isEqualTo(AcceptProxy.from(
                    List.of(Cidr.parse("10.0.0.1/32"), Cidr.parse("192.168.1.0/24")), Duration.ofSeconds(2)));
            assertThat(f.allow()).containsExactly(Cidr.parse("192.168.0.0/16"), Cidr.parse("fd00::/8"));
            assertThat(f.deny()).containsExactly(Cidr.parse("192.168.1.66/32"));
            assertThat(f.maxConnections()).isEqualTo(500);
            assertThat(f.affinity()).isEqualTo(Duration.ofHours(3));
            assertThat(f.balance()).isEqualTo(BalancePolicy.SOURCE_HASH);
        });
    }

    @Test
    void withoutAnnotationsOrServiceFieldsTheOperatorSettingsAreOff() {
        Frontend f = mapped(service("web", "127.0.0.2").build()).frontends().get(0);
        assertThat(f.sendProxy()).isEqualTo(ProxyProtocol.OFF);
        assertThat(f.acceptProxy()).isEqualTo(AcceptProxy.OFF);
        assertThat(f.allow()).isEmpty();
        assertThat(f.deny()).isEmpty();
        assertThat(f.maxConnections()).isZero();
        assertThat(f.affinity()).isZero();
    }

    @Test
    void badOperatorAnnotationsRejectTheServiceNamingItTheAnnotationAndTheProblem() {
        assertThat(mapper.map(annotated(service("web", "127.0.0.2").build(), Map.of(FrontendSettings.ALLOW.annotationKey(), "10.0.0.0/8,lan"))))
                .isEqualTo(new ServiceMapper.Rejected("shop/web", "annotation portico.dev/allow: 'lan' is not an IP "
                        + "address or network (like 192.168.1.0/24 or fd00::/8)"));
        assertThat(mapper.map(annotated(service("web", "127.0.0.2").build(), Map.of(FrontendSettings.PROXY_PROTOCOL.annotationKey(), "v3"))))
                .isEqualTo(new ServiceMapper.Rejected("shop/web", "annotation portico.dev/proxy-protocol: unknown PROXY "
                        + "protocol version 'v3' (one of: off, v1, v2)"));
        assertThat(((ServiceMapper.Rejected) mapper.map(annotated(service("web", "127.0.0.2").build(),
                Map.of(FrontendSettings.MAX_CONNECTIONS.annotationKey(), "lots")))).message())
                .isEqualTo("shop/web: annotation portico.dev/max-connections: 'lots' is not a whole number");
    }

    private static ServiceBuilder clientIpAffinity(String name, Integer timeoutSeconds) {
        ServiceBuilder b = service(name, "127.0.0.2").editSpec().withSessionAffinity("ClientIP").endSpec();
        return timeoutSeconds == null ? b : b.editSpec().withNewSessionAffinityConfig().withNewClientIP()
                .withTimeoutSeconds(timeoutSeconds).endClientIP().endSessionAffinityConfig().endSpec();
    }

    @Test
    void sessionAffinityClientIpBecomesAffinityWithItsTimeoutOrKubernetesDefault() {
        assertThat(mapped(clientIpAffinity("web", 600).build()).frontends())
                .allSatisfy(f -> assertThat(f.affinity()).isEqualTo(Duration.ofMinutes(10)));
        assertThat(mapped(clientIpAffinity("web", null).build()).frontends())
                .allSatisfy(f -> assertThat(f.affinity()).isEqualTo(Duration.ofSeconds(10_800))
                        .isEqualTo(ServiceMapper.DEFAULT_SESSION_AFFINITY_TIMEOUT));
        Service none = service("web", "127.0.0.2").editSpec().withSessionAffinity("None").withNewSessionAffinityConfig()
                .withNewClientIP().withTimeoutSeconds(600).endClientIP().endSessionAffinityConfig().endSpec().build();
        assertThat(mapped(none).frontends()).allSatisfy(f -> assertThat(f.affinity()).isZero());
    }

    @Test
    void theAffinityAnnotationWinsOverSessionAffinityEvenToTurnItOff() {
        assertThat(mapped(annotated(clientIpAffinity("web", 600).build(), Map.of(FrontendSettings.AFFINITY.annotationKey(), "30s")))
                .frontends()).allSatisfy(f -> assertThat(f.affinity()).isEqualTo(Duration.ofSeconds(30)));
        assertThat(mapped(annotated(clientIpAffinity("web", null).build(), Map.of(FrontendSettings.AFFINITY.annotationKey(), "0")))
                .frontends()).allSatisfy(f -> assertThat(f.affinity()).isZero());
        // the field is not read at all then, so a value the annotation replaces cannot reject the Service
        assertThat(mapped(annotated(clientIpAffinity("web", 0).build(), Map.of(FrontendSettings.AFFINITY.annotationKey(), "1m")))
                .frontends()).allSatisfy(f -> assertThat(f.affinity()).isEqualTo(Duration.ofMinutes(1)));
    }

    @Test
    void aSessionAffinityTimeoutBelowOneSecondRejectsTheService() {
        assertThat(mapper.map(clientIpAffinity("web", 0).build())).isEqualTo(new ServiceMapper.Rejected("shop/web",
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: 0 must be at least 1 (seconds)"));
    }

    private static Service sourceRanges(Service s, String... ranges) {
        s.getSpec().setLoadBalancerSourceRanges(new ArrayList<>(List.of(ranges)));
        return s;
    }

    @Test
    void loadBalancerSourceRangesBecomeTheAllowList() {
        Service s = sourceRanges(service("web", "127.0.0.2").build(), "192.168.1.0/24", " fd00::/8 ", "10.1.2.3/32");
        assertThat(mapped(s).frontends()).hasSize(2).allSatisfy(f -> assertThat(f.allow()).containsExactly(
                Cidr.parse("192.168.1.0/24"), Cidr.parse("fd00::/8"), Cidr.parse("10.1.2.3")));
        assertThat(mapped(sourceRanges(service("web", "127.0.0.2").build())).frontends())
                .allSatisfy(f -> assertThat(f.allow()).as("an empty list restricts nothing").isEmpty());
    }

    @Test
    void theAllowAnnotationWinsOverLoadBalancerSourceRanges() {
        Service s = annotated(sourceRanges(service("web", "127.0.0.2").build(), "192.168.1.0/24"),
                Map.of(FrontendSettings.ALLOW.annotationKey(), "10.0.0.0/8"));
        assertThat(mapped(s).frontends()).allSatisfy(f -> assertThat(f.allow()).containsExactly(Cidr.parse("10.0.0.0/8")));
        // replaced, so not read: a range the annotation overrides cannot reject the Service
        Service bad = annotated(sourceRanges(service("web", "127.0.0.2").build(), "192.168.1.0/33"),
                Map.of(FrontendSettings.ALLOW.annotationKey(), "0.0.0.0/0,::/0"));
        assertThat(mapped(bad).frontends()).allSatisfy(f -> assertThat(f.allow())
                .containsExactly(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0")));
        // deny is separate and applies together with the source ranges
        Service denied = annotated(sourceRanges(service("web", "127.0.0.2").build(), "192.168.1.0/24"),
                Map.of(FrontendSettings.DENY.annotationKey(), "192.168.1.66"));
        assertThat(mapped(denied).frontends()).allSatisfy(f -> {
            assertThat(f.allow()).containsExactly(Cidr.parse("192.168.1.0/24"));
            assertThat(f.deny()).containsExactly(Cidr.parse("192.168.1.66"));
        });
    }

    @Test
    void aBadLoadBalancerSourceRangeRejectsTheServiceNamingItAndTheField() {
        assertThat(mapper.map(sourceRanges(service("web", "127.0.0.2").build(), "192.168.1.0/24", "192.168.2.0/33")))
                .isEqualTo(new ServiceMapper.Rejected("shop/web",
                        "spec.loadBalancerSourceRanges: prefix /33 is out of range for 192.168.2.0 (0-32)"));
        assertThat(((ServiceMapper.Rejected) mapper.map(sourceRanges(service("lan").build(), "home-lan"))).message())
                .as("reported before the load balancer has handed out an address, as a bad annotation is")
                .isEqualTo("shop/lan: spec.loadBalancerSourceRanges: 'home-lan' is not an IP address or network "
                        + "(like 192.168.1.0/24 or fd00::/8)");
        assertThat(mapper.map(sourceRanges(service("web", "127.0.0.2").build(), "10.0.0.0/8", "")))
                .isEqualTo(new ServiceMapper.Rejected("shop/web",
                        "spec.loadBalancerSourceRanges: has an empty entry"));
    }

    @Test
    void aBadAnnotationRejectsTheServiceNamingItAndTheAnnotation() {
        ServiceMapper.Result r = mapper.map(annotated(service("web", "127.0.0.2").build(),
                Map.of(FrontendSettings.IDLE_TIMEOUT.annotationKey(), "abc")));
        assertThat(r).isInstanceOf(ServiceMapper.Rejected.class);
        assertThat(((ServiceMapper.Rejected) r).message()).startsWith(
                "shop/web: annotation portico.dev/idle-timeout: 'abc' is not a duration (");
        // still reported before the load balancer has handed out an address
        assertThat(mapper.map(annotated(service("early").build(), Map.of(FrontendSettings.BALANCE.annotationKey(), "x"))))
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

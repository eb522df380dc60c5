package dev.portico.discovery.kubernetes;

import dev.portico.api.Backend;
import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.FrontendSettings;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.Protocol;
import dev.portico.api.ProxyProtocol;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns one Service into the frontends it asks for, without I/O: for each TCP or UDP port and each
 * exposure class, one frontend on that class's address and the port, whose backends are all the
 * Service's load-balancer ingress addresses at the same port.
 *
 * <p>The frontends' settings come from the Service's {@link Annotations}, and from two of its own
 * fields where the annotation is absent: {@code spec.loadBalancerSourceRanges} becomes the allow list
 * and {@code spec.sessionAffinity: ClientIP} the client-IP affinity.
 */
final class ServiceMapper {

    /** Oldest first (creation time, then namespace/name): the order in which conflicts are won. */
    public static final Comparator<Service> AGE_ORDER =
            Comparator.comparing(ServiceMapper::createdAt).thenComparing(ServiceMapper::origin);

    /** Kubernetes' own default for {@code spec.sessionAffinityConfig.clientIP.timeoutSeconds}: 10800 s. */
    public static final Duration DEFAULT_SESSION_AFFINITY_TIMEOUT = Duration.ofSeconds(10_800);
    static final String SOURCE_RANGES = "spec.loadBalancerSourceRanges";
    static final String AFFINITY_TIMEOUT = "spec.sessionAffinityConfig.clientIP.timeoutSeconds";

    private final ExposureClasses classes;
    private final String source;

    /**
     * @param classes where Services may be exposed
     * @param source  the source name written into each frontend
     */
    public ServiceMapper(ExposureClasses classes, String source) {
        this.classes = Objects.requireNonNull(classes, "classes");
        this.source = Objects.requireNonNull(source, "source");
    }

    /** What a Service maps to. */
    public sealed interface Result permits Mapped, Ignored, Rejected {
    }

    /**
     * The Service is served.
     *
     * @param frontends its frontends, port order then class order; empty when only unserved ports are left
     * @param unserved  its ports that are not served, and why
     *                  ({@code port 3868/SCTP is not served: Portico forwards TCP and UDP only}), to report
     */
    public record Mapped(List<Frontend> frontends, List<String> unserved) implements Result {
        public Mapped {
            frontends = List.copyOf(frontends);
            unserved = List.copyOf(unserved);
        }
    }

    /**
     * The Service is not for Portico (another type, no ingress yet, being deleted, no exposure class).
     *
     * @param reason why, for a debug log
     */
    public record Ignored(String reason) implements Result {
    }

    /**
     * The Service asks for something invalid; its last good frontends should keep serving.
     *
     * @param origin  {@code namespace/name}
     * @param problem what is wrong, naming the annotation or Service field
     */
    public record Rejected(String origin, String problem) implements Result {
        /** {@code namespace/name: problem}. */
        public String message() {
            return origin + ": " + problem;
        }
    }

    public Result map(Service service) {
        ObjectMeta meta = service.getMetadata();
        String origin = origin(service);
        if (meta != null && meta.getDeletionTimestamp() != null && !meta.getDeletionTimestamp().isEmpty()) {
            return new Ignored("being deleted");
        }
        String type = service.getSpec() == null ? null : service.getSpec().getType();
        if (!"LoadBalancer".equals(type)) {
            return new Ignored("type " + type + ", not LoadBalancer");
        }
        Annotations.Settings settings;
        List<ExposureClasses.ExposureClass> chosen;
        List<Cidr> allow;
        Duration affinity;
        try {
            settings = Annotations.parse(meta == null ? null : meta.getAnnotations());
            chosen = classes.choose(meta == null ? null : meta.getLabels(), settings.exposure());
            // An annotation replaces the Service field outright; the field is then not read at all.
            allow = settings.gives(FrontendSettings.ALLOW) ? List.of() : sourceRanges(service.getSpec());
            affinity = settings.gives(FrontendSettings.AFFINITY) ? Duration.ZERO : sessionAffinity(service.getSpec());
        } catch (InvalidConfigException e) {
            return new Rejected(origin, e.getMessage());
        }
        List<String> hosts = ingressHosts(service);
        if (hosts.isEmpty()) {
            return new Ignored("no load-balancer ingress address yet");
        }
        if (chosen.isEmpty()) {
            return new Ignored("not exposed: no " + Annotations.EXPOSURE
                    + " annotation, no exposure class selector matches, and there is no default class");
        }
        List<Frontend> frontends = new ArrayList<>();
        List<String> unserved = new ArrayList<>();
        List<ServicePort> ports = service.getSpec().getPorts() == null ? List.of() : service.getSpec().getPorts();
        try {
            for (ServicePort p : ports) {
                if (p.getPort() == null) {
                    continue;
                }
                String protocol = p.getProtocol() == null ? "TCP" : p.getProtocol().toUpperCase(Locale.ROOT);
                String label = p.getName() == null || p.getName().isEmpty() ? String.valueOf(p.getPort()) : p.getName();
                String port = "port " + p.getPort() + "/" + protocol
                        + (p.getName() == null || p.getName().isEmpty() ? "" : " (" + p.getName() + ")");
                boolean udp = protocol.equals("UDP");
                if (!udp && !protocol.equals("TCP")) {
                    unserved.add(port + " is not served: Portico forwards TCP and UDP only");
                    continue;
                }
                Frontend sample = settings.sample();
                if (udp && sample.sendProxy() == ProxyProtocol.V1) {
                    unserved.add(port + " is not served: " + FrontendSettings.PROXY_PROTOCOL.annotationKey()
                            + " v1 cannot be sent over UDP (v2 can)");
                    continue;
                }
                if (udp && sample.acceptProxy().enabled()) {
                    unserved.add(port + " is not served: " + FrontendSettings.ACCEPT_PROXY.annotationKey()
                            + " applies to TCP ports only");
                    continue;
                }
                if (udp && !sample.sni().isEmpty()) {
                    // Served without names it would claim the whole UDP bind, which the names were meant to share.
                    unserved.add(port + " is not served: " + FrontendSettings.SNI.annotationKey() + " routes TCP ports only (a UDP datagram"
                            + " carries no TLS server name)");
                    continue;
                }
                List<Backend> backends = new ArrayList<>();
                for (String host : hosts) {
                    backends.add(new Backend(host, p.getPort()));
                }
                for (ExposureClasses.ExposureClass c : chosen) {
                    // The Service's own fields first, the annotations over them; what neither
                    // says keeps the builder's default for the protocol (UDP: 60 s idle, no probes).
                    Frontend.Builder b = Frontend.builder(c.bindFor(p.getPort()))
                            .name(origin + ":" + label + (c.name().equals(ExposureClasses.DEFAULT) ? "" : "@" + c.name()))
                            .protocol(udp ? Protocol.UDP : Protocol.TCP)
                            .backends(backends)
                            .allow(allow)
                            .affinity(affinity);
                    settings.applyTo(b).source(source).origin(origin);
                    frontends.add(b.build());
                }
            }
        } catch (InvalidConfigException e) {
            return new Rejected(origin, e.getMessage());
        }
        return new Mapped(frontends, unserved);
    }

    /**
     * {@code spec.loadBalancerSourceRanges}, Kubernetes' "only these clients" list for a LoadBalancer
     * Service, as an allow list; empty (no restriction) when the field is absent or empty.
     *
     * @throws InvalidConfigException naming the field and the bad range
     */
    static List<Cidr> sourceRanges(ServiceSpec spec) {
        List<String> ranges = spec == null ? null : spec.getLoadBalancerSourceRanges();
        if (ranges == null || ranges.isEmpty()) {
            return List.of();
        }
        return AnnotationValues.networks(SOURCE_RANGES, ranges, false);
    }

    /**
     * {@code spec.sessionAffinity: ClientIP} as a client-IP affinity with its timeout
     * ({@code spec.sessionAffinityConfig.clientIP.timeoutSeconds}, Kubernetes' default when unset);
     * {@link Duration#ZERO} for {@code None} or no value.
     *
     * @throws InvalidConfigException when the timeout is not positive (the API server forbids it; a
     *                                Service from elsewhere may still carry it)
     */
    static Duration sessionAffinity(ServiceSpec spec) {
        if (spec == null || !"ClientIP".equals(spec.getSessionAffinity())) {
            return Duration.ZERO;
        }
        Integer seconds = spec.getSessionAffinityConfig() == null || spec.getSessionAffinityConfig().getClientIP() == null
                ? null : spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds();
        if (seconds == null) {
            return DEFAULT_SESSION_AFFINITY_TIMEOUT;
        }
        if (seconds < 1) {
            throw new InvalidConfigException(AFFINITY_TIMEOUT + ": " + seconds + " must be at least 1 (seconds)");
        }
        return Duration.ofSeconds(seconds);
    }

    /** The ingress IPs, or host names for entries without one, in status order without repeats. */
    static List<String> ingressHosts(Service service) {
        Set<String> out = new LinkedHashSet<>();
        if (service.getStatus() == null || service.getStatus().getLoadBalancer() == null
                || service.getStatus().getLoadBalancer().getIngress() == null) {
            return List.of();
        }
        for (LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngress()) {
            if (ingress.getIp() != null && !ingress.getIp().isBlank()) {
                out.add(ingress.getIp().strip());
            } else if (ingress.getHostname() != null && !ingress.getHostname().isBlank()) {
                // Kept as a name: the engine resolves it at connect time, so a changed DNS answer is followed.
                out.add(ingress.getHostname().strip().toLowerCase(Locale.ROOT));
            }
        }
        return List.copyOf(out);
    }

    /** {@code namespace/name}. */
    public static String origin(Service service) {
        ObjectMeta meta = service.getMetadata();
        if (meta == null) {
            return "?/?";
        }
        return (meta.getNamespace() == null ? "" : meta.getNamespace()) + "/" + meta.getName();
    }

    /** The creation time; a Service without one (not yet stored) counts as the newest. */
    public static Instant createdAt(Service service) {
        ObjectMeta meta = service.getMetadata();
        String ts = meta == null ? null : meta.getCreationTimestamp();
        if (ts == null || ts.isEmpty()) {
            return Instant.MAX;
        }
        try {
            return DateTimeFormatter.ISO_DATE_TIME.parse(ts, Instant::from);
        } catch (DateTimeParseException e) {
            return Instant.MAX; // not written by an API server; ordering it last is the safe choice
        }
    }

    /** A key that tells a recreated Service from its predecessor: the UID, else namespace/name. */
    public static String key(Service service) {
        ObjectMeta meta = service.getMetadata();
        return meta != null && meta.getUid() != null && !meta.getUid().isEmpty() ? meta.getUid() : origin(service);
    }

    static Map<String, String> labels(Service service) {
        return service.getMetadata() == null || service.getMetadata().getLabels() == null ? Map.of()
                : service.getMetadata().getLabels();
    }
}

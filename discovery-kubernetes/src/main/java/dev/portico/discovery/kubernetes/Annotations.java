package dev.portico.discovery.kubernetes;

import dev.portico.api.AcceptProxy;
import dev.portico.api.BalancePolicy;
import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.ProxyProtocol;
import dev.portico.api.ServerNames;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Service annotations Portico reads: service-announcer's {@value #L4PROXY_HEALTH_INTERVAL} and
 * Portico's own under {@value #PREFIX}, one for each per-frontend setting of the file format. An
 * unknown key under Portico's prefix is an error, so that a typo does not silently leave a setting
 * at its default.
 */
public final class Annotations {

    /** service-announcer's health interval, whole seconds. */
    public static final String L4PROXY_HEALTH_INTERVAL = "l4proxy.e13.dev/health-interval";
    public static final String PREFIX = "portico.dev/";
    /** Comma-separated exposure class names. */
    public static final String EXPOSURE = PREFIX + "exposure";
    public static final String HEALTH_INTERVAL = PREFIX + "health-interval";
    public static final String HEALTH_TIMEOUT = PREFIX + "health-timeout";
    public static final String HEALTH_RISE = PREFIX + "health-rise";
    public static final String HEALTH_FALL = PREFIX + "health-fall";
    /** {@code up} or {@code down}: whether a new backend takes connections before its first probe. */
    public static final String HEALTH_INITIAL = PREFIX + "health-initial";
    /** {@code true} or {@code false}: whether probes run; without them only failed connects mark a backend down. */
    public static final String HEALTH_ENABLED = PREFIX + "health-enabled";
    public static final String IDLE_TIMEOUT = PREFIX + "idle-timeout";
    public static final String CONNECT_TIMEOUT = PREFIX + "connect-timeout";
    /** {@code random}, {@code roundrobin}, {@code leastconn} or {@code source}. */
    public static final String BALANCE = PREFIX + "balance";
    /** {@code off}, {@code v1} or {@code v2}: the PROXY header sent to the backends (file: {@code proxyProtocol}). */
    public static final String PROXY_PROTOCOL = PREFIX + "proxy-protocol";
    /** Comma-separated networks allowed to send a PROXY header; present means the listener requires one. */
    public static final String ACCEPT_PROXY = PREFIX + "accept-proxy";
    /** How long a trusted peer may take to send its PROXY header; only with {@link #ACCEPT_PROXY}. */
    public static final String ACCEPT_PROXY_TIMEOUT = PREFIX + "accept-proxy-timeout";
    /** Comma-separated networks: only these clients are served. Wins over {@code spec.loadBalancerSourceRanges}. */
    public static final String ALLOW = PREFIX + "allow";
    /** Comma-separated networks: these clients are refused. */
    public static final String DENY = PREFIX + "deny";
    /** The most client connections open at once per frontend; 0 for no limit. */
    public static final String MAX_CONNECTIONS = PREFIX + "max-connections";
    /** How long a client IP keeps its backend; 0 for none. Wins over {@code spec.sessionAffinity}. */
    public static final String AFFINITY = PREFIX + "affinity";
    /**
     * Comma-separated TLS server names ({@code grafana.example.org,*.apps.example.org}): the Service's
     * TCP ports are routed by the name in the ClientHello, so Services with disjoint names share an
     * exposure port.
     */
    public static final String SNI = PREFIX + "sni";

    /** Every key under {@link #PREFIX} that is understood. */
    public static final Set<String> KNOWN = Set.of(EXPOSURE, HEALTH_INTERVAL, HEALTH_TIMEOUT, HEALTH_RISE,
            HEALTH_FALL, HEALTH_INITIAL, HEALTH_ENABLED, IDLE_TIMEOUT, CONNECT_TIMEOUT, BALANCE, PROXY_PROTOCOL, ACCEPT_PROXY,
            ACCEPT_PROXY_TIMEOUT, ALLOW, DENY, MAX_CONNECTIONS, AFFINITY, SNI);

    private Annotations() {
    }

    /**
     * What a Service's annotations ask for. The two settings a Service's own fields can also give are
     * null when their annotation is absent, so that {@link ServiceMapper} can tell "not said" from
     * "said: none".
     *
     * @param exposure       the exposure class names in written order, or null when the annotation is absent
     * @param health         the health check
     * @param idleTimeout    the idle timeout
     * @param connectTimeout the connect timeout
     * @param balance        the balancing policy
     * @param sendProxy      the PROXY protocol version sent to the backends
     * @param acceptProxy    whether and from whom PROXY headers are accepted
     * @param allow          the networks allowed, or null when the annotation is absent
     * @param deny           the networks refused
     * @param maxConnections the connection limit, 0 for none
     * @param affinity       the client-IP affinity timeout ({@link Duration#ZERO} for none), or null when
     *                       the annotation is absent
     * @param sni            the TLS server names its ports are routed by; empty for none
     */
    public record Settings(List<String> exposure, HealthCheck health, Duration idleTimeout, Duration connectTimeout,
                           BalancePolicy balance, ProxyProtocol sendProxy, AcceptProxy acceptProxy, List<Cidr> allow,
                           List<Cidr> deny, int maxConnections, Duration affinity, List<String> sni) {
        public Settings {
            exposure = exposure == null ? null : List.copyOf(exposure);
            allow = allow == null ? null : List.copyOf(allow);
            deny = List.copyOf(deny);
            sni = List.copyOf(sni);
        }
    }

    /**
     * Reads the annotations of one Service.
     *
     * @param annotations the Service's annotations; null for none
     * @throws InvalidConfigException {@code annotation KEY: 'VALUE' is not ...}: an unknown Portico key
     *                                first, else the first bad value found
     */
    public static Settings parse(Map<String, String> annotations) {
        Map<String, String> a = new TreeMap<>(annotations == null ? Map.of() : annotations);
        for (String key : a.keySet()) {
            if (key.startsWith(PREFIX) && !KNOWN.contains(key)) {
                String near = AnnotationValues.nearest(key, KNOWN);
                throw new InvalidConfigException("annotation " + key + " is not known to Portico"
                        + (near == null ? "" : " (did you mean " + near + "?)") + "; known: "
                        + String.join(", ", new TreeSet<>(KNOWN)));
            }
        }
        HealthCheck health = health(a);
        Duration idle = a.containsKey(IDLE_TIMEOUT) ? AnnotationValues.positiveDuration(IDLE_TIMEOUT, a.get(IDLE_TIMEOUT))
                : Frontend.DEFAULT_IDLE_TIMEOUT;
        Duration connect = a.containsKey(CONNECT_TIMEOUT)
                ? AnnotationValues.positiveDuration(CONNECT_TIMEOUT, a.get(CONNECT_TIMEOUT))
                : Frontend.DEFAULT_CONNECT_TIMEOUT;
        BalancePolicy balance = BalancePolicy.RANDOM;
        if (a.containsKey(BALANCE)) {
            try {
                balance = BalancePolicy.fromConfigName(a.get(BALANCE));
            } catch (InvalidConfigException e) {
                throw new InvalidConfigException("annotation " + BALANCE + ": '" + a.get(BALANCE)
                        + "' is not a balance policy (one of: " + BalancePolicy.names() + ")", e);
            }
        }
        ProxyProtocol sendProxy = a.containsKey(PROXY_PROTOCOL)
                ? AnnotationValues.parsed(PROXY_PROTOCOL, a.get(PROXY_PROTOCOL), ProxyProtocol::fromConfigName)
                : ProxyProtocol.OFF;
        List<Cidr> allow = a.containsKey(ALLOW) ? AnnotationValues.networks(ALLOW, a.get(ALLOW)) : null;
        List<Cidr> deny = a.containsKey(DENY) ? AnnotationValues.networks(DENY, a.get(DENY)) : List.of();
        int maxConnections = a.containsKey(MAX_CONNECTIONS)
                ? AnnotationValues.wholeNumber(MAX_CONNECTIONS, a.get(MAX_CONNECTIONS), 0, Integer.MAX_VALUE) : 0;
        Duration affinity = a.containsKey(AFFINITY) ? AnnotationValues.duration(AFFINITY, a.get(AFFINITY)) : null;
        return new Settings(a.containsKey(EXPOSURE) ? AnnotationValues.names(EXPOSURE, a.get(EXPOSURE),
                "internal or internal,external") : null, health, idle, connect, balance, sendProxy,
                acceptProxy(a), allow, deny, maxConnections, affinity, serverNames(a));
    }

    /** Portico's health keys, each over service-announcer's interval. */
    private static HealthCheck health(Map<String, String> a) {
        HealthCheck health = HealthCheck.DEFAULT;
        String l4 = a.get(L4PROXY_HEALTH_INTERVAL);
        if (l4 != null) {
            health = health.withInterval(Duration.ofSeconds(
                    AnnotationValues.wholeNumber(L4PROXY_HEALTH_INTERVAL, l4, 1, Integer.MAX_VALUE)));
        }
        if (a.containsKey(HEALTH_INTERVAL)) {
            health = health.withInterval(AnnotationValues.positiveDuration(HEALTH_INTERVAL, a.get(HEALTH_INTERVAL)));
        }
        if (a.containsKey(HEALTH_TIMEOUT)) {
            health = health.withTimeout(AnnotationValues.positiveDuration(HEALTH_TIMEOUT, a.get(HEALTH_TIMEOUT)));
        }
        int rise = a.containsKey(HEALTH_RISE) ? AnnotationValues.wholeNumber(HEALTH_RISE, a.get(HEALTH_RISE), 1, 100)
                : health.rise();
        int fall = a.containsKey(HEALTH_FALL) ? AnnotationValues.wholeNumber(HEALTH_FALL, a.get(HEALTH_FALL), 1, 100)
                : health.fall();
        health = health.withThresholds(rise, fall);
        if (a.containsKey(HEALTH_INITIAL)) {
            health = health.withInitiallyUp(AnnotationValues.upOrDown(HEALTH_INITIAL, a.get(HEALTH_INITIAL)));
        }
        if (a.containsKey(HEALTH_ENABLED)) {
            health = health.withEnabled(AnnotationValues.trueOrFalse(HEALTH_ENABLED, a.get(HEALTH_ENABLED)));
        }
        return health;
    }

    private static List<String> serverNames(Map<String, String> a) {
        String value = a.get(SNI);
        if (value == null) {
            return List.of();
        }
        if (value.isBlank()) {
            throw new InvalidConfigException("annotation " + SNI + ": is empty (write names like "
                    + "grafana.example.org,*.apps.example.org, or remove the annotation)");
        }
        return AnnotationValues.parsed(SNI, value, v -> ServerNames.parseAll(List.of(v.split(",", -1))));
    }

    /** The file format's {@code acceptProxy: {trusted, timeout}} as two annotations. */
    private static AcceptProxy acceptProxy(Map<String, String> a) {
        if (!a.containsKey(ACCEPT_PROXY)) {
            if (a.containsKey(ACCEPT_PROXY_TIMEOUT)) {
                // Alone it would change nothing; saying so beats ignoring what was asked for.
                throw new InvalidConfigException("annotation " + ACCEPT_PROXY_TIMEOUT + ": has no effect without "
                        + ACCEPT_PROXY + " (the networks trusted to send PROXY headers)");
            }
            return AcceptProxy.OFF;
        }
        List<Cidr> trusted = AnnotationValues.networks(ACCEPT_PROXY, a.get(ACCEPT_PROXY));
        Duration timeout = a.containsKey(ACCEPT_PROXY_TIMEOUT)
                ? AnnotationValues.positiveDuration(ACCEPT_PROXY_TIMEOUT, a.get(ACCEPT_PROXY_TIMEOUT))
                : AcceptProxy.DEFAULT_HEADER_TIMEOUT;
        return AcceptProxy.from(trusted, timeout);
    }

    /**
     * Reads a duration of zero or more: a bare number is seconds; otherwise a sequence of number-unit parts
     * ({@code ms}, {@code s}, {@code m}, {@code h}) as Go and l4proxy write them.
     *
     * @throws IllegalArgumentException when {@code text} is not one
     */
    public static Duration parseDuration(String text) {
        return AnnotationValues.parseDuration(text);
    }
}

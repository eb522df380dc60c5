package dev.portico.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One listener and where its connections go: the unit every source publishes and the engine runs.
 * Build with {@link #builder(BindAddress)}; change a copy with {@link #toBuilder()}. A value: two
 * frontends with the same settings are equal.
 *
 * <p>Not a record on purpose: a record's canonical constructor is API, so every new setting would
 * break the code of those who call it. A new setting is a field here, a builder method, an entry in
 * {@link #settings()}, and a row in {@link FrontendSettings} for the file and annotation syntaxes.
 */
public final class Frontend {
    /** How long a connect to one backend may take unless set. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** One hour, as Envoy's TCP proxy: l4proxy's 30 s cuts every idle SSH session. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
    /** A UDP flow has no close: only this short timeout frees its state (nginx and Envoy use 60 s too). */
    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Connect attempts per client connection, each to another backend, before giving up. */
    public static final int MAX_CONNECT_ATTEMPTS = 3;

    private final String name;
    private final BindAddress bind;
    private final List<Backend> backends;
    private final HealthCheck health;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final BalancePolicy balance;
    private final String source;
    private final String origin;
    private final ProxyProtocol sendProxy;
    private final AcceptProxy acceptProxy;
    private final List<Cidr> allow;
    private final List<Cidr> deny;
    private final int maxConnections;
    private final Duration affinity;
    private final Protocol protocol;
    private final List<String> sni;

    private Frontend(Builder b) {
        bind = Objects.requireNonNull(b.bind, "bind");
        protocol = b.protocol == null ? Protocol.TCP : b.protocol;
        boolean udp = protocol == Protocol.UDP;
        // A TCP and a UDP frontend on one bind must not share a name (metrics, /status).
        name = b.name == null || b.name.isBlank() ? new Listen(protocol, bind).toString() : b.name;
        backends = List.copyOf(b.backends);
        health = Objects.requireNonNull(b.health, "health")
                .withEnabled(b.healthEnabled != null ? b.healthEnabled : !udp);
        balance = Objects.requireNonNull(b.balance, "balance");
        connectTimeout = requirePositive(b.connectTimeout, "connect timeout");
        idleTimeout = requirePositive(b.idleTimeout != null ? b.idleTimeout
                : udp ? DEFAULT_UDP_IDLE_TIMEOUT : DEFAULT_IDLE_TIMEOUT, "idle timeout");
        source = b.source == null ? "" : b.source;
        origin = b.origin == null ? "" : b.origin;
        sendProxy = Objects.requireNonNull(b.sendProxy, "sendProxy");
        if (b.proxyTrusted == null && b.proxyHeaderTimeoutSet) {
            // Alone it would change nothing; saying so beats ignoring what was asked for.
            throw new InvalidConfigException("accepting PROXY headers needs at least one trusted network");
        }
        acceptProxy = b.proxyTrusted == null ? AcceptProxy.OFF : AcceptProxy.from(b.proxyTrusted, b.proxyHeaderTimeout);
        allow = List.copyOf(b.allow);
        deny = List.copyOf(b.deny);
        maxConnections = b.maxConnections;
        if (maxConnections < 0) {
            throw new InvalidConfigException("max connections must be 0 (no limit) or more, got " + maxConnections);
        }
        affinity = Objects.requireNonNull(b.affinity, "affinity");
        if (affinity.isNegative()) {
            throw new InvalidConfigException("affinity timeout must not be negative, got " + affinity);
        }
        if (udp && sendProxy == ProxyProtocol.V1) {
            // v1 is a text line at the start of a stream; only v2 defines a header per datagram.
            throw new InvalidConfigException("PROXY protocol v1 cannot be sent over UDP (only v2 has a datagram form)");
        }
        if (udp && acceptProxy.enabled()) {
            throw new InvalidConfigException("accepting a PROXY header is supported for TCP frontends only, not UDP");
        }
        sni = ServerNames.parseAll(b.sni);
        if (!sni.isEmpty() && udp) {
            // A datagram carries no ClientHello to read a server name from.
            throw new InvalidConfigException("sni applies to TCP frontends only, not to protocol udp");
        }
        if (!sni.isEmpty() && acceptProxy.enabled()) {
            // The PROXY header comes before the ClientHello, so it is a setting of the shared
            // listener, not of one of the frontends it picks between.
            throw new InvalidConfigException("acceptProxy cannot be combined with sni");
        }
        for (int i = 0; i < backends.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (backends.get(i).sameEndpoint(backends.get(j))) {
                    throw new InvalidConfigException("backend " + backends.get(i).address() + " is listed twice");
                }
            }
        }
    }

    /** {@return a display name for logs and metrics; the listen address when none was given} */
    public String name() {
        return name;
    }

    /** {@return where to listen; unique per protocol in a desired state} */
    public BindAddress bind() {
        return bind;
    }

    /** {@return where connections go; may be empty (connections are then closed at once)} */
    public List<Backend> backends() {
        return backends;
    }

    /** {@return active and passive health checking of the backends} */
    public HealthCheck health() {
        return health;
    }

    /** {@return how long a connect to one backend may take before the next is tried} */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** {@return how long a connection (a UDP flow) may carry no bytes either way before it is closed} */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** {@return how a backend is picked} */
    public BalancePolicy balance() {
        return balance;
    }

    /** {@return the name of the source that published it (set by the merge); empty when not set} */
    public String source() {
        return source;
    }

    /** {@return where it was defined, for messages: {@code file.yaml:12:5} or {@code namespace/name}; may be empty} */
    public String origin() {
        return origin;
    }

    /** {@return the PROXY protocol header sent to backends, so they see the real client address} */
    public ProxyProtocol sendProxy() {
        return sendProxy;
    }

    /** {@return whether, and from which peers, the listener reads a PROXY header} */
    public AcceptProxy acceptProxy() {
        return acceptProxy;
    }

    /** {@return the networks whose clients alone are served; when empty, the engine's default list applies} */
    public List<Cidr> allow() {
        return allow;
    }

    /** {@return the networks whose clients are refused, besides the engine's default list} */
    public List<Cidr> deny() {
        return deny;
    }

    /** {@return the most client connections (UDP flows) open at once, 0 for no limit} */
    public int maxConnections() {
        return maxConnections;
    }

    /**
     * How long a client IP keeps going to the same backend after its last connection,
     * {@link Duration#ZERO} for no affinity.
     *
     * @return the affinity timeout
     */
    public Duration affinity() {
        return affinity;
    }

    /**
     * TCP connections or UDP datagrams; a TCP and a UDP frontend may share a bind. For UDP, a client
     * address and port is one flow, and the idle timeout and connection limit apply to flows.
     *
     * @return the protocol
     */
    public Protocol protocol() {
        return protocol;
    }

    /**
     * TLS server names this frontend serves on a bind it shares with other TCP frontends (see
     * {@link ServerNames}); empty for none: the frontend then owns its bind, or catches the
     * connections no other frontend on that bind claims. TCP only.
     *
     * @return the server names, empty for none
     */
    public List<String> sni() {
        return sni;
    }

    private static Duration requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new InvalidConfigException(what + " must be positive, got " + d);
        }
        return d;
    }

    /**
     * A builder with every default filled in.
     *
     * @param bind where to listen
     * @return the builder
     */
    public static Builder builder(BindAddress bind) {
        return new Builder(bind);
    }

    /**
     * A builder with every default filled in.
     *
     * @param bind where to listen, in any form {@link BindAddress#parse} reads
     * @return the builder
     * @throws InvalidConfigException when {@code bind} is not a bind address
     */
    public static Builder builder(String bind) {
        return new Builder(BindAddress.parse(bind));
    }

    /** {@return a builder holding this frontend's values, to build a changed copy} */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * What a listener is known by: its bind and protocol (a TCP and a UDP frontend may share a bind).
     *
     * @param protocol TCP or UDP
     * @param bind     where it listens
     */
    public record Listen(Protocol protocol, BindAddress bind) {
        @Override
        public String toString() {
            return protocol == Protocol.TCP ? bind.toString() : bind + "/" + protocol.configName();
        }
    }

    /** {@return what this frontend's listener is known by} */
    public Listen listen() {
        return new Listen(protocol, bind);
    }

    /**
     * Whether the two differ at most in backends, name, source and origin: the engine then keeps the
     * listener and its connections and only updates the backends.
     *
     * @param other the frontend to compare with
     * @return whether only those differ
     */
    public boolean sameSettings(Frontend other) {
        return settings().equals(other.settings());
    }

    /**
     * Every field but name, backends, source and origin: what {@link #sameSettings} compares, so a
     * new setting is compared once it is listed here (SettingsSyntaxesTest in discovery-kubernetes checks every table row).
     */
    private List<Object> settings() {
        return Arrays.asList(bind, health, connectTimeout, idleTimeout, balance, sendProxy, acceptProxy, allow, deny,
                maxConnections, affinity, protocol, sni);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frontend f && name.equals(f.name) && backends.equals(f.backends)
                && source.equals(f.source) && origin.equals(f.origin) && settings().equals(f.settings());
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, backends, source, origin, settings());
    }

    @Override
    public String toString() {
        return "Frontend[name=" + name + ", bind=" + bind + ", backends=" + backends + ", health=" + health
                + ", connectTimeout=" + connectTimeout + ", idleTimeout=" + idleTimeout + ", balance=" + balance
                + ", source=" + source + ", origin=" + origin + ", sendProxy=" + sendProxy + ", acceptProxy="
                + acceptProxy + ", allow=" + allow + ", deny=" + deny + ", maxConnections=" + maxConnections
                + ", affinity=" + affinity + ", protocol=" + protocol + ", sni=" + sni + "]";
    }

    /**
     * Mutable builder with every default filled in. The idle timeout and whether health probes run
     * default by protocol (UDP: 60 s, no probes) unless set.
     */
    public static final class Builder {
        private String name;
        private BindAddress bind;
        private final List<Backend> backends = new ArrayList<>();
        private HealthCheck health = HealthCheck.DEFAULT;
        // Null until said: the default depends on the protocol (a TCP probe of a UDP service proves little).
        private Boolean healthEnabled;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration idleTimeout;
        private BalancePolicy balance = BalancePolicy.RANDOM;
        private String source;
        private String origin;
        private ProxyProtocol sendProxy = ProxyProtocol.OFF;
        // Null: PROXY headers are not accepted.
        private List<Cidr> proxyTrusted;
        private Duration proxyHeaderTimeout = AcceptProxy.DEFAULT_HEADER_TIMEOUT;
        private boolean proxyHeaderTimeoutSet;
        private List<Cidr> allow = List.of();
        private List<Cidr> deny = List.of();
        private int maxConnections;
        private Duration affinity = Duration.ZERO;
        private Protocol protocol = Protocol.TCP;
        private List<String> sni = List.of();

        private Builder(BindAddress bind) {
            this.bind = Objects.requireNonNull(bind, "bind");
        }

        private Builder(Frontend f) {
            name = f.name;
            bind = f.bind;
            backends.addAll(f.backends);
            health(f.health);
            connectTimeout = f.connectTimeout;
            idleTimeout = f.idleTimeout;
            balance = f.balance;
            source = f.source;
            origin = f.origin;
            sendProxy = f.sendProxy;
            acceptProxy(f.acceptProxy);
            allow = f.allow;
            deny = f.deny;
            maxConnections = f.maxConnections;
            affinity = f.affinity;
            protocol = f.protocol;
            sni = f.sni;
        }

        /**
         * Sets the display name; the listen address when null or blank.
         *
         * @param value the value
         * @return this builder
         */
        public Builder name(String value) {
            name = value;
            return this;
        }

        /**
         * Sets where to listen.
         *
         * @param value the value
         * @return this builder
         */
        public Builder bind(BindAddress value) {
            bind = value;
            return this;
        }

        /**
         * Sets one more backend.
         *
         * @param value the value
         * @return this builder
         */
        public Builder backend(Backend value) {
            backends.add(value);
            return this;
        }

        /**
         * Sets one more backend, parsed as {@link Backend#parse} reads it.
         *
         * @param address the value
         * @return this builder
         */
        public Builder backend(String address) {
            return backend(Backend.parse(address));
        }

        /**
         * Sets every backend, replacing those added before.
         *
         * @param values the value
         * @return this builder
         */
        public Builder backends(List<Backend> values) {
            backends.clear();
            backends.addAll(values);
            return this;
        }

        /**
         * The whole health check, probes on or off as it says.
         *
         * @param value the value
         * @return this builder
         */
        public Builder health(HealthCheck value) {
            health = Objects.requireNonNull(value, "health");
            healthEnabled = value.enabled();
            return this;
        }

        /**
         * Sets the time between health probes of one backend.
         *
         * @param value the value
         * @return this builder
         */
        public Builder healthInterval(Duration value) {
            health = health.withInterval(value);
            return this;
        }

        /**
         * Sets how long one health probe may take.
         *
         * @param value the value
         * @return this builder
         */
        public Builder healthTimeout(Duration value) {
            health = health.withTimeout(value);
            return this;
        }

        /**
         * Sets the successful probes in a row that bring a down backend up, 1-100.
         *
         * @param value the value
         * @return this builder
         */
        public Builder healthRise(int value) {
            health = health.withThresholds(value, health.fall());
            return this;
        }

        /**
         * Sets the failed probes in a row that take an up backend down, 1-100.
         *
         * @param value the value
         * @return this builder
         */
        public Builder healthFall(int value) {
            health = health.withThresholds(health.rise(), value);
            return this;
        }

        /**
         * Sets whether a new backend takes connections before its first probe succeeds.
         *
         * @param value the value
         * @return this builder
         */
        public Builder healthInitiallyUp(boolean value) {
            health = health.withInitiallyUp(value);
            return this;
        }

        /**
         * Whether active probes run; by default they do for TCP and do not for UDP.
         *
         * @param value the value
         * @return this builder
         */
        public Builder healthEnabled(boolean value) {
            healthEnabled = value;
            return this;
        }

        /**
         * Sets how long a connect to one backend may take before the next is tried.
         *
         * @param value the value
         * @return this builder
         */
        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        /**
         * Sets how long a connection may carry no bytes either way; null for the protocol's default.
         *
         * @param value the value
         * @return this builder
         */
        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        /**
         * Sets how a backend is picked.
         *
         * @param value the value
         * @return this builder
         */
        public Builder balance(BalancePolicy value) {
            balance = value;
            return this;
        }

        /**
         * Sets the name of the source that publishes the frontend.
         *
         * @param value the value
         * @return this builder
         */
        public Builder source(String value) {
            source = value;
            return this;
        }

        /**
         * Sets where the frontend was defined, for messages.
         *
         * @param value the value
         * @return this builder
         */
        public Builder origin(String value) {
            origin = value;
            return this;
        }

        /**
         * Sets the PROXY protocol header sent to backends.
         *
         * @param value the value
         * @return this builder
         */
        public Builder sendProxy(ProxyProtocol value) {
            sendProxy = value;
            return this;
        }

        /**
         * Sets whether and from whom PROXY headers are accepted, with the header timeout.
         *
         * @param value the value; {@link AcceptProxy#OFF} for none
         * @return this builder
         */
        public Builder acceptProxy(AcceptProxy value) {
            proxyTrusted = value.enabled() ? value.trusted() : null;
            proxyHeaderTimeout = value.headerTimeout();
            proxyHeaderTimeoutSet = false;
            return this;
        }

        /**
         * Accept PROXY headers, from these peers only (at least one).
         *
         * @param trusted the value
         * @return this builder
         */
        public Builder acceptProxyFrom(List<Cidr> trusted) {
            proxyTrusted = List.copyOf(trusted);
            return this;
        }

        /**
         * How long a trusted peer may take to send its PROXY header; applies once headers are accepted.
         *
         * @param value the value
         * @return this builder
         */
        public Builder acceptProxyTimeout(Duration value) {
            proxyHeaderTimeout = value;
            proxyHeaderTimeoutSet = true;
            return this;
        }

        /**
         * Sets the networks whose clients alone are served; empty for the engine's default list.
         *
         * @param value the value
         * @return this builder
         */
        public Builder allow(List<Cidr> value) {
            allow = value;
            return this;
        }

        /**
         * Sets the networks whose clients are refused.
         *
         * @param value the value
         * @return this builder
         */
        public Builder deny(List<Cidr> value) {
            deny = value;
            return this;
        }

        /**
         * Sets the most client connections open at once, 0 for no limit.
         *
         * @param value the value
         * @return this builder
         */
        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        /**
         * Sets how long a client IP keeps its backend, zero for no affinity.
         *
         * @param value the value
         * @return this builder
         */
        public Builder affinity(Duration value) {
            affinity = value;
            return this;
        }

        /**
         * TCP by default; for UDP the health and idle timeout defaults change unless set.
         *
         * @param value the value
         * @return this builder
         */
        public Builder protocol(Protocol value) {
            protocol = value;
            return this;
        }

        /**
         * TLS server names routed to this frontend; empty (the default) for none. TCP only.
         *
         * @param value the value
         * @return this builder
         */
        public Builder sni(List<String> value) {
            sni = value;
            return this;
        }

        /**
         * Builds the frontend.
         *
         * @return the frontend
         * @throws InvalidConfigException when the values do not go together (UDP with PROXY headers or
         *                                server names, a backend listed twice, ...)
         */
        public Frontend build() {
            return new Frontend(this);
        }
    }
}

package dev.portico.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One listener and where its connections go: the unit every source publishes and the engine runs.
 * Build with {@link #builder(BindAddress)}.
 *
 * @param name           a display name for logs and metrics; the bind address when not given
 * @param bind           where to listen; unique in a desired state
 * @param backends       where connections go; may be empty (connections are then closed at once)
 * @param health         active and passive health checking of the backends
 * @param connectTimeout how long a connect to one backend may take before the next is tried
 * @param idleTimeout    how long a connection may carry no bytes either way before both sides are closed
 * @param balance        how a backend is picked
 * @param source         the name of the source that published it (set by the merge)
 * @param origin         where it was defined, for messages: {@code file.yaml:12:5} or {@code namespace/name}
 * @param sendProxy      the PROXY protocol header sent to backends, so they see the real client address
 * @param acceptProxy    whether the listener reads a PROXY header from trusted peers
 * @param allow          if not empty, only clients in these networks are served (else the engine's default list)
 * @param deny           clients in these networks are refused (with the engine's default list)
 * @param maxConnections the most client connections open at once, 0 for no limit
 * @param affinity       how long a client IP keeps going to the same backend after its last
 *                       connection, {@link Duration#ZERO} for no affinity
 * @param protocol       TCP connections or UDP datagrams; a TCP and a UDP frontend may share a bind.
 *                       For UDP, a client address and port is one flow, and {@code idleTimeout} and
 *                       {@code maxConnections} apply to flows
 * @param sni            TLS server names this frontend serves on a bind it shares with other TCP
 *                       frontends (see {@link ServerNames}); empty for none: the frontend then owns its
 *                       bind, or catches the connections no other frontend on that bind claims. TCP only
 */
public record Frontend(String name, BindAddress bind, List<Backend> backends, HealthCheck health,
                       Duration connectTimeout, Duration idleTimeout, BalancePolicy balance,
                       String source, String origin, ProxyProtocol sendProxy, AcceptProxy acceptProxy,
                       List<Cidr> allow, List<Cidr> deny, int maxConnections, Duration affinity,
                       Protocol protocol, List<String> sni) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** One hour, as Envoy's TCP proxy: l4proxy's 30 s cuts every idle SSH session. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);
    /** A UDP flow has no close: only this short timeout frees its state (nginx and Envoy use 60 s too). */
    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Connect attempts per client connection, each to another backend, before giving up. */
    public static final int MAX_CONNECT_ATTEMPTS = 3;

    public Frontend {
        Objects.requireNonNull(bind, "bind");
        protocol = protocol == null ? Protocol.TCP : protocol;
        // A TCP and a UDP frontend on one bind must not share a name (metrics, /status).
        name = name == null || name.isBlank() ? new Listen(protocol, bind).toString() : name;
        backends = List.copyOf(backends);
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(balance, "balance");
        requirePositive(connectTimeout, "connect timeout");
        requirePositive(idleTimeout, "idle timeout");
        source = source == null ? "" : source;
        origin = origin == null ? "" : origin;
        Objects.requireNonNull(sendProxy, "sendProxy");
        Objects.requireNonNull(acceptProxy, "acceptProxy");
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
        if (maxConnections < 0) {
            throw new InvalidConfigException("max connections must be 0 (no limit) or more, got " + maxConnections);
        }
        Objects.requireNonNull(affinity, "affinity");
        if (affinity.isNegative()) {
            throw new InvalidConfigException("affinity timeout must not be negative, got " + affinity);
        }
        if (protocol == Protocol.UDP && sendProxy == ProxyProtocol.V1) {
            // v1 is a text line at the start of a stream; only v2 defines a header per datagram.
            throw new InvalidConfigException("PROXY protocol v1 cannot be sent over UDP (only v2 has a datagram form)");
        }
        if (protocol == Protocol.UDP && acceptProxy.enabled()) {
            throw new InvalidConfigException("accepting a PROXY header is supported for TCP frontends only, not UDP");
        }
        sni = ServerNames.parseAll(sni);
        if (!sni.isEmpty() && protocol == Protocol.UDP) {
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

    private static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new InvalidConfigException(what + " must be positive, got " + d);
        }
    }

    public static Builder builder(BindAddress bind) {
        return new Builder(bind);
    }

    public static Builder builder(String bind) {
        return new Builder(BindAddress.parse(bind));
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** What a listener is known by: its bind and protocol (a TCP and a UDP frontend may share a bind). */
    public record Listen(Protocol protocol, BindAddress bind) {
        @Override
        public String toString() {
            return protocol == Protocol.TCP ? bind.toString() : bind + "/" + protocol.configName();
        }
    }

    public Listen listen() {
        return new Listen(protocol, bind);
    }

    /** Whether the two differ at most in backends, name, source and origin. */
    public boolean sameSettings(Frontend other) {
        return bind.equals(other.bind) && health.equals(other.health) && connectTimeout.equals(other.connectTimeout)
                && idleTimeout.equals(other.idleTimeout) && balance == other.balance && sendProxy == other.sendProxy
                && acceptProxy.equals(other.acceptProxy) && allow.equals(other.allow) && deny.equals(other.deny)
                && maxConnections == other.maxConnections && affinity.equals(other.affinity)
                && protocol == other.protocol && sni.equals(other.sni);
    }

    /** Mutable builder with every default filled in. */
    public static final class Builder {
        private String name;
        private BindAddress bind;
        private final List<Backend> backends = new ArrayList<>();
        // Null until set: the default depends on the protocol (UDP: no active probes, 60 s idle).
        private HealthCheck health;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration idleTimeout;
        private BalancePolicy balance = BalancePolicy.RANDOM;
        private String source;
        private String origin;
        private ProxyProtocol sendProxy = ProxyProtocol.OFF;
        private AcceptProxy acceptProxy = AcceptProxy.OFF;
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
            health = f.health;
            connectTimeout = f.connectTimeout;
            idleTimeout = f.idleTimeout;
            balance = f.balance;
            source = f.source;
            origin = f.origin;
            sendProxy = f.sendProxy;
            acceptProxy = f.acceptProxy;
            allow = f.allow;
            deny = f.deny;
            maxConnections = f.maxConnections;
            affinity = f.affinity;
            protocol = f.protocol;
            sni = f.sni;
        }

        public Builder name(String value) {
            name = value;
            return this;
        }

        public Builder bind(BindAddress value) {
            bind = value;
            return this;
        }

        public Builder backend(Backend value) {
            backends.add(value);
            return this;
        }

        public Builder backend(String address) {
            return backend(Backend.parse(address));
        }

        public Builder backends(List<Backend> values) {
            backends.clear();
            backends.addAll(values);
            return this;
        }

        public Builder health(HealthCheck value) {
            health = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        public Builder balance(BalancePolicy value) {
            balance = value;
            return this;
        }

        public Builder source(String value) {
            source = value;
            return this;
        }

        public Builder origin(String value) {
            origin = value;
            return this;
        }

        public Builder sendProxy(ProxyProtocol value) {
            sendProxy = value;
            return this;
        }

        public Builder acceptProxy(AcceptProxy value) {
            acceptProxy = value;
            return this;
        }

        public Builder allow(List<Cidr> value) {
            allow = value;
            return this;
        }

        public Builder deny(List<Cidr> value) {
            deny = value;
            return this;
        }

        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        public Builder affinity(Duration value) {
            affinity = value;
            return this;
        }

        /** TCP by default; for UDP the health and idle timeout defaults change unless set. */
        public Builder protocol(Protocol value) {
            protocol = value;
            return this;
        }

        /** TLS server names routed to this frontend; empty (the default) for none. TCP only. */
        public Builder sni(List<String> value) {
            sni = value;
            return this;
        }

        public Frontend build() {
            boolean udp = protocol == Protocol.UDP;
            HealthCheck h = health != null ? health : udp ? HealthCheck.DEFAULT.withEnabled(false) : HealthCheck.DEFAULT;
            Duration idle = idleTimeout != null ? idleTimeout : udp ? DEFAULT_UDP_IDLE_TIMEOUT : DEFAULT_IDLE_TIMEOUT;
            return new Frontend(name, bind, backends, h, connectTimeout, idle, balance, source, origin,
                    sendProxy, acceptProxy, allow, deny, maxConnections, affinity, protocol, sni);
        }
    }
}

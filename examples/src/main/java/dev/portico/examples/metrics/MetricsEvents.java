package dev.portico.examples.metrics;

import dev.portico.api.ApplyResult;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.CloseReason;
import dev.portico.api.Conflict;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.LogSafe;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts what the engine and the sources report, as Micrometer counters and a timer. The engine
 * calls this on its I/O threads, so each event costs a map lookup and a few counter increments: the
 * meters of a frontend (and of each of its backends) are registered once, on its first event, and
 * kept in a map; no event builds tags or asks the registry for a meter.
 *
 * <p>Bytes and durations are recorded when a connection ends, so a long-lived connection shows up
 * in them once it closes. Connections refused before any backend was contacted (denied, over a
 * limit, bad PROXY header) are counted as refused and closed, but add no bytes and no duration.
 */
public final class MetricsEvents implements ProxyEvents {

    static final String FRONTEND = "frontend";
    static final String BACKEND = "backend";
    static final String REASON = "reason";
    static final String SOURCE = "source";

    static final String CONNECTIONS = "portico.connections";
    static final String CLOSED = "portico.connections.closed";
    static final String REFUSED = "portico.connections.refused";
    static final String CLIENT_TO_BACKEND = "portico.client.to.backend.bytes";
    static final String BACKEND_TO_CLIENT = "portico.backend.to.client.bytes";
    static final String DURATION = "portico.connection.duration";
    static final String LISTENER_FAILURES = "portico.listener.failures";
    static final String BACKEND_CONNECTIONS = "portico.backend.connections";
    static final String CONNECT_FAILURES = "portico.backend.connect.failures";
    static final String APPLIES = "portico.config.applies";
    static final String REJECTIONS = "portico.config.rejections";
    static final String CONFLICTS = "portico.config.conflicts";

    private static final CloseReason[] REASONS = CloseReason.values();
    private static final Set<CloseReason> REFUSALS =
            Set.of(CloseReason.DENIED, CloseReason.LIMIT, CloseReason.BAD_PROXY_HEADER, CloseReason.LOOP);
    /** Few buckets, so a frontend costs a handful of series: sub-second to an hour-long session. */
    private static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofHours(1)};

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, FrontendMeters> frontends = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();
    private final Counter applies;
    private final Counter conflicts;

    public MetricsEvents(MeterRegistry registry) {
        this.registry = registry;
        this.applies = Counter.builder(APPLIES)
                .description("Merged configurations applied to the engine")
                .register(registry);
        this.conflicts = Counter.builder(CONFLICTS)
                .description("Bind-address conflicts between frontends (the loser is not served)")
                .register(registry);
    }

    /** The lower-case name used in labels and the access log: {@code client_closed}, {@code no_backend}. */
    public static String label(CloseReason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    /**
     * A label value as exported: names from files, Kubernetes or the Java API with control and
     * bidi characters escaped ({@code \}{@code u202E}), so a scrape or a dashboard shows what the name
     * holds. The Prometheus format itself escapes {@code \}, {@code "} and newlines on top.
     */
    static String labelValue(String value) {
        return LogSafe.escape(value);
    }

    @Override
    public void onConnectionOpened(ConnectionInfo connection) {
        FrontendMeters m = frontend(connection.frontend());
        m.opened.increment();
        if (connection.backend() != null) {
            m.backend(connection.backend()).opened.increment();
        }
    }

    @Override
    public void onConnectionClosed(ConnectionInfo connection, long bytesFromClient, long bytesToClient,
                                   long durationMillis, CloseReason reason) {
        FrontendMeters m = frontend(connection.frontend());
        int i = reason.ordinal();
        m.closed[i].increment();
        if (m.refused[i] != null) {
            m.refused[i].increment();
            return;
        }
        if (bytesFromClient > 0) {
            m.clientToBackend.increment(bytesFromClient);
        }
        if (bytesToClient > 0) {
            m.backendToClient.increment(bytesToClient);
        }
        m.duration.record(durationMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onConnectFailed(String frontend, Backend backend, String reason) {
        // A null backend is "no healthy backend": counted as a close with reason no_backend.
        if (backend != null) {
            frontend(frontend).backend(backend).connectFailures.increment();
        }
    }

    @Override
    public void onListenerFailed(String frontend, BindAddress bind, String reason) {
        frontend(frontend).listenerFailures.increment();
    }

    @Override
    public void onConfigApplied(ApplyResult result) {
        applies.increment();
    }

    @Override
    public void onConfigRejected(SourceError error) {
        Counter c = rejections.get(error.source());
        (c != null ? c : rejections.computeIfAbsent(error.source(), this::rejectionCounter)).increment();
    }

    @Override
    public void onConflict(Conflict conflict) {
        conflicts.increment();
    }

    /** Registers the rejection counter of a source before its first rejection, so it reads 0. */
    void touchSource(String source) {
        rejections.computeIfAbsent(source, this::rejectionCounter);
    }

    private Counter rejectionCounter(String source) {
        return Counter.builder(REJECTIONS)
                .description("Configuration a source reported and could not use (a bad file, a bad annotation)")
                .tag(SOURCE, labelValue(source))
                .register(registry);
    }

    /** Registers the meters of a frontend and its backends before their first event, so they read 0. */
    void touch(String frontend, List<Backend> backends) {
        FrontendMeters m = frontend(frontend);
        for (Backend b : backends) {
            m.backend(b);
        }
    }

    /**
     * Removes the meters of frontends and backends that are no longer configured (and were
     * registered before {@code snapshotNanos}, when the list was read), so a Service that comes and
     * goes leaves no series behind.
     *
     * @param configured each configured frontend's backend addresses
     */
    void retain(Map<String, Set<String>> configured, long snapshotNanos) {
        for (Map.Entry<String, FrontendMeters> e : frontends.entrySet()) {
            FrontendMeters m = e.getValue();
            Set<String> backends = configured.get(e.getKey());
            if (backends == null) {
                if (m.createdNanos - snapshotNanos < 0 && frontends.remove(e.getKey(), m)) {
                    m.remove();
                }
                continue;
            }
            for (Map.Entry<Backend, BackendMeters> b : m.backends.entrySet()) {
                BackendMeters bm = b.getValue();
                if (!backends.contains(bm.address) && bm.createdNanos - snapshotNanos < 0
                        && m.backends.remove(b.getKey(), bm)) {
                    bm.remove();
                }
            }
        }
    }

    private FrontendMeters frontend(String name) {
        FrontendMeters m = frontends.get(name);
        return m != null ? m : frontends.computeIfAbsent(name, FrontendMeters::new);
    }

    /** One frontend's meters, registered together. */
    private final class FrontendMeters {
        final long createdNanos = System.nanoTime();
        final String name;
        final Counter opened;
        final Counter[] closed = new Counter[REASONS.length];
        final Counter[] refused = new Counter[REASONS.length];
        final Counter clientToBackend;
        final Counter backendToClient;
        final Timer duration;
        final Counter listenerFailures;
        final ConcurrentHashMap<Backend, BackendMeters> backends = new ConcurrentHashMap<>();
        final List<Meter> all = new ArrayList<>();

        FrontendMeters(String name) {
            this.name = name;
            Tags tags = Tags.of(FRONTEND, labelValue(name));
            opened = add(Counter.builder(CONNECTIONS)
                    .description("Client connections forwarded to a backend, counted when the backend connection opens")
                    .tags(tags).register(registry));
            for (CloseReason r : REASONS) {
                closed[r.ordinal()] = add(Counter.builder(CLOSED)
                        .description("Client connections that ended, by how they ended (refused ones included)")
                        .tags(tags).tag(REASON, label(r)).register(registry));
                if (REFUSALS.contains(r)) {
                    refused[r.ordinal()] = add(Counter.builder(REFUSED)
                            .description("Client connections refused before any backend was contacted: denied by "
                                    + "allow/deny lists or an untrusted PROXY sender, over a connection limit, or "
                                    + "a missing or bad PROXY header")
                            .tags(tags).tag(REASON, label(r)).register(registry));
                }
            }
            clientToBackend = add(Counter.builder(CLIENT_TO_BACKEND)
                    .description("Bytes read from clients and forwarded to backends, counted when a connection ends")
                    .tags(tags).register(registry));
            backendToClient = add(Counter.builder(BACKEND_TO_CLIENT)
                    .description("Bytes read from backends and forwarded to clients, counted when a connection ends")
                    .tags(tags).register(registry));
            duration = add(Timer.builder(DURATION)
                    .description("How long forwarded connections lasted (refused ones are not included)")
                    .tags(tags)
                    .serviceLevelObjectives(DURATION_BUCKETS)
                    .register(registry));
            listenerFailures = add(Counter.builder(LISTENER_FAILURES)
                    .description("Times a frontend's listener could not be opened or was lost")
                    .tags(tags).register(registry));
        }

        private <M extends Meter> M add(M meter) {
            all.add(meter);
            return meter;
        }

        BackendMeters backend(Backend b) {
            BackendMeters m = backends.get(b);
            return m != null ? m : backends.computeIfAbsent(b, k -> new BackendMeters(name, k.address()));
        }

        void remove() {
            all.forEach(registry::remove);
            backends.values().forEach(BackendMeters::remove);
        }
    }

    /** One backend's counters within a frontend. Keyed by the {@link Backend} value: no string per event. */
    private final class BackendMeters {
        final long createdNanos = System.nanoTime();
        final String address;
        final Counter opened;
        final Counter connectFailures;

        BackendMeters(String frontend, String address) {
            this.address = address;
            Tags tags = Tags.of(FRONTEND, labelValue(frontend), BACKEND, labelValue(address));
            opened = Counter.builder(BACKEND_CONNECTIONS)
                    .description("Client connections forwarded to this backend")
                    .tags(tags).register(registry);
            connectFailures = Counter.builder(CONNECT_FAILURES)
                    .description("Failed connects to this backend (the next backend is tried)")
                    .tags(tags).register(registry);
        }

        void remove() {
            registry.remove(opened);
            registry.remove(connectFailures);
        }
    }
}

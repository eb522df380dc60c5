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
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.TimeWindowMax;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts what the engine and the sources report. The engine calls this on its I/O threads, so each
 * event costs a map lookup and a few atomic increments: the counters of a frontend (and of each of
 * its backends) are created once, on its first event, and kept in a map; no event builds tags or
 * asks a registry for a meter. Per-frontend counters live here, not in the Micrometer registry
 * (see {@link FrontendMeters}); the per-source ones, few, are Micrometer counters.
 *
 * <p>Bytes and durations are recorded when a connection ends, so a long-lived connection shows up
 * in them once it closes. Connections refused before any backend was contacted (denied, over a
 * limit, bad PROXY header) are counted as refused and closed, but add no bytes and no duration.
 */
public final class MetricsEvents implements ProxyEvents {

    static final String FRONTEND = "frontend";
    static final String SNI_UNROUTED = "portico.sni.unrouted";
    // How the engine names a shared (SNI) bind in events that belong to no one frontend.
    private static final String SNI_PREFIX = "sni ";
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

    static final CloseReason[] REASONS = CloseReason.values();
    static final Set<CloseReason> REFUSALS =
            Set.of(CloseReason.DENIED, CloseReason.LIMIT, CloseReason.BAD_PROXY_HEADER, CloseReason.LOOP);
    /** Few buckets, so a frontend costs a handful of series: sub-second to an hour-long session. */
    static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofHours(1)};
    private static final long[] DURATION_BUCKET_MILLIS =
            java.util.Arrays.stream(DURATION_BUCKETS).mapToLong(Duration::toMillis).toArray();

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, FrontendMeters> frontends = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> sniUnrouted = new ConcurrentHashMap<>();
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
        return LABELS[reason.ordinal()]; // made once: the access log asks at every connection's end
    }

    private static final String[] LABELS = Arrays.stream(CloseReason.values())
            .map(r -> r.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);

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
        m.counts.incrementAndGet(FrontendMeters.OPENED);
        if (connection.backend() != null) {
            m.backend(connection.backend()).opened.incrementAndGet();
        }
    }

    @Override
    public void onConnectionClosed(ConnectionInfo connection, long bytesFromClient, long bytesToClient,
                                   long durationMillis, CloseReason reason) {
        FrontendMeters m = frontend(connection.frontend());
        // The refused counter of a refusal reason is its closed counter: they always move together.
        m.counts.incrementAndGet(FrontendMeters.CLOSED + reason.ordinal());
        if (REFUSALS.contains(reason)) {
            return;
        }
        if (bytesFromClient > 0) {
            m.counts.addAndGet(FrontendMeters.CLIENT_TO_BACKEND, bytesFromClient);
        }
        if (bytesToClient > 0) {
            m.counts.addAndGet(FrontendMeters.BACKEND_TO_CLIENT, bytesToClient);
        }
        m.recordDuration(Math.max(0, durationMillis));
    }

    @Override
    public void onConnectFailed(String frontend, Backend backend, String reason) {
        // A null backend is "no healthy backend": counted as a close with reason no_backend.
        if (backend != null) {
            frontend(frontend).backend(backend).connectFailures.incrementAndGet();
        }
    }

    @Override
    public void onListenerFailed(String frontend, BindAddress bind, String reason) {
        frontend(frontend).counts.incrementAndGet(FrontendMeters.LISTENER_FAILURES);
    }

    /**
     * Frontends' own refusals are counted where they close (reasons {@code denied}, {@code limit}...);
     * what this adds is the connections a port shared by TLS server name refused before any frontend
     * took them (not TLS, no or an unknown name without a catch-all, a hello too large or too slow),
     * which the engine reports under {@code "sni <bind>"}: counted per bind, so no frontend's series
     * and no name a client made up becomes a label.
     */
    @Override
    public void onConnectionRefused(String frontend, InetSocketAddress client, String reason) {
        if (frontend.startsWith(SNI_PREFIX)) {
            String bind = frontend.substring(SNI_PREFIX.length());
            Counter c = sniUnrouted.get(bind);
            (c != null ? c : sniUnrouted.computeIfAbsent(bind, b -> Counter.builder(SNI_UNROUTED)
                    .description("Connections on a port shared by TLS server name that no frontend took: not TLS, "
                            + "no or an unknown name and no catch-all, a ClientHello too large or too slow")
                    .tag("bind", b)
                    .register(registry))).increment();
        }
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
                if (m.createdNanos - snapshotNanos < 0) {
                    frontends.remove(e.getKey(), m);
                }
                continue;
            }
            for (Map.Entry<Backend, BackendMeters> b : m.backends.entrySet()) {
                BackendMeters bm = b.getValue();
                if (!backends.contains(bm.address) && bm.createdNanos - snapshotNanos < 0) {
                    m.backends.remove(b.getKey(), bm);
                }
            }
        }
    }

    private FrontendMeters frontend(String name) {
        FrontendMeters m = frontends.get(name);
        return m != null ? m : frontends.computeIfAbsent(name, FrontendMeters::new);
    }

    /** The frontends that have counters now, for one scrape to write family by family. */
    List<FrontendMeters> frontendMeters() {
        return new ArrayList<>(frontends.values());
    }

    /**
     * One frontend's counters. They are plain atomics rather than Micrometer meters: a registered
     * meter costs kilobytes (its id, tags, the Prometheus collector's child), which put a router
     * with a few thousand frontends past a 64 MiB heap before the first scrape.
     * {@link PrometheusFamilies} writes them in the exposition format Micrometer used.
     */
    static final class FrontendMeters {
        static final int OPENED = 0;
        static final int CLIENT_TO_BACKEND = 1;
        static final int BACKEND_TO_CLIENT = 2;
        static final int LISTENER_FAILURES = 3;
        static final int DURATION_COUNT = 4;
        static final int DURATION_SUM_MILLIS = 5;
        static final int CLOSED = 6;
        static final int BUCKETS = CLOSED + REASONS.length;
        static final int SIZE = BUCKETS + DURATION_BUCKETS.length;

        final long createdNanos = System.nanoTime();
        final String name;
        /** The counters above by index; the duration buckets are not cumulative here. */
        final AtomicLongArray counts = new AtomicLongArray(SIZE);
        final TimeWindowMax durationMax = new TimeWindowMax(Clock.SYSTEM, DistributionStatisticConfig.DEFAULT);
        final ConcurrentHashMap<Backend, BackendMeters> backends = new ConcurrentHashMap<>();

        FrontendMeters(String name) {
            this.name = name;
        }

        BackendMeters backend(Backend b) {
            BackendMeters m = backends.get(b);
            return m != null ? m : backends.computeIfAbsent(b, k -> new BackendMeters(k.address()));
        }

        void recordDuration(long millis) {
            int i = 0;
            while (i < DURATION_BUCKET_MILLIS.length && millis > DURATION_BUCKET_MILLIS[i]) {
                i++;
            }
            if (i < DURATION_BUCKET_MILLIS.length) {
                counts.incrementAndGet(BUCKETS + i);
            }
            counts.addAndGet(DURATION_SUM_MILLIS, millis);
            counts.incrementAndGet(DURATION_COUNT);
            durationMax.record(millis, TimeUnit.MILLISECONDS);
        }
    }

    /** One backend's counters within a frontend. Keyed by the {@link Backend} value: no string per event. */
    static final class BackendMeters {
        final long createdNanos = System.nanoTime();
        final String address;
        final AtomicLong opened = new AtomicLong();
        final AtomicLong connectFailures = new AtomicLong();

        BackendMeters(String address) {
            this.address = address;
        }
    }
}

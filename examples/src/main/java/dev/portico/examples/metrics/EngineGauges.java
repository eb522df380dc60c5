package dev.portico.examples.metrics;

import dev.portico.api.EngineStatus;
import dev.portico.api.EngineStatus.BackendStatus;
import dev.portico.api.EngineStatus.FrontendStatus;
import dev.portico.api.SourceError;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gauges: values read from the engine's status and the sources at scrape time rather than
 * counted from events. {@link #refresh} takes one status snapshot and reduces it to one
 * {@link Frontend} per frontend name, which {@link PrometheusFamilies} writes; the per-source gauges
 * (few) are Micrometer gauges, registered for sources that appeared and removed for ones that are
 * gone. Called by one thread at a time ({@link PorticoMetrics} serialises).
 */
final class EngineGauges {

    static final String STATE = "state";
    /** The Kubernetes source's watch states, exported even while not current so each series exists. */
    static final List<String> KNOWN_WATCH_STATES = List.of("connecting", "watching", "retrying");

    /** One frontend's gauges, summed (or for the 0/1 gauges, maxed) over its listeners. */
    static final class Frontend {
        final String name;
        long active;
        boolean listening;
        long buffered;
        long total;
        /** A UDP frontend's datagram counters, {@code null} for TCP. */
        EngineStatus.UdpStatus udp;
        final Map<String, BackendGauges> backends = new LinkedHashMap<>(2);

        Frontend(String name) {
            this.name = name;
        }
    }

    static final class BackendGauges {
        boolean healthy;
        long active;
    }

    private final MetricsEvents events;
    private final GaugeFamily configError;
    private final GaugeFamily watchState;
    private final Map<String, Set<String>> seenWatchStates = new HashMap<>();

    EngineGauges(MeterRegistry registry, MetricsEvents events) {
        this.events = events;
        configError = new GaugeFamily(registry, "portico.config.error",
                "1 while the source has a configuration error it has not recovered from (see /status)");
        watchState = new GaugeFamily(registry, "portico.source.watch.state",
                "1 for the source's current watch state (Kubernetes: connecting, watching, retrying), 0 for the others");
    }

    /**
     * Sets every per-source gauge from one snapshot and returns the frontends' gauges.
     *
     * @param status        the engine's status, read just now
     * @param snapshotNanos {@link System#nanoTime()} just before {@code status} was read
     * @param sources       the registered sources' names
     * @param lastErrors    each source's unrecovered error
     * @param watchStates   current watch state per source that has one
     */
    List<Frontend> refresh(EngineStatus status, long snapshotNanos, List<String> sources,
                           Map<String, SourceError> lastErrors, Map<String, String> watchStates) {
        // A frontend whose bind changed is listed twice for a while (new one running, old one draining).
        Map<String, Frontend> frontends = new LinkedHashMap<>();
        Map<String, Set<String>> configured = new HashMap<>();
        for (FrontendStatus f : status.frontends()) {
            Frontend g = frontends.computeIfAbsent(f.name(), Frontend::new);
            g.active += f.activeConnections();
            g.listening |= f.state() == EngineStatus.ListenerState.LISTENING;
            g.buffered += f.bufferedBytes();
            g.total += f.totalConnections();
            if (f.udp() != null) {
                g.udp = f.udp().plus(g.udp);
            }
            Set<String> addresses = configured.computeIfAbsent(f.name(), k -> new HashSet<>());
            List<dev.portico.api.Backend> backends = new ArrayList<>();
            for (BackendStatus b : f.backends()) {
                String address = b.backend().address();
                addresses.add(address);
                backends.add(b.backend());
                BackendGauges bg = g.backends.computeIfAbsent(address, k -> new BackendGauges());
                bg.healthy |= b.healthy();
                bg.active += b.activeConnections();
            }
            events.touch(f.name(), backends);
        }
        events.retain(configured, snapshotNanos);

        Set<String> names = new LinkedHashSet<>(sources);
        names.addAll(lastErrors.keySet());
        Map<Tags, Double> errorValues = new HashMap<>();
        for (String s : names) {
            events.touchSource(s);
            errorValues.put(Tags.of(MetricsEvents.SOURCE, MetricsEvents.labelValue(s)), lastErrors.containsKey(s) ? 1.0 : 0.0);
        }
        configError.update(errorValues);

        Map<Tags, Double> watchValues = new HashMap<>();
        for (Map.Entry<String, String> w : watchStates.entrySet()) {
            Set<String> states = seenWatchStates.computeIfAbsent(w.getKey(), k -> new LinkedHashSet<>(KNOWN_WATCH_STATES));
            states.add(w.getValue());
            for (String st : states) {
                watchValues.put(Tags.of(MetricsEvents.SOURCE, MetricsEvents.labelValue(w.getKey()), STATE,
                        MetricsEvents.labelValue(st)), st.equals(w.getValue()) ? 1.0 : 0.0);
            }
        }
        watchState.update(watchValues);
        return new ArrayList<>(frontends.values());
    }

    /** Gauges of one name whose label sets come and go; each holds its last value. */
    static final class GaugeFamily {
        private final MeterRegistry registry;
        private final String name;
        private final String description;
        private final Map<Tags, Slot> slots = new HashMap<>();

        GaugeFamily(MeterRegistry registry, String name, String description) {
            this.registry = registry;
            this.name = name;
            this.description = description;
        }

        void update(Map<Tags, Double> values) {
            for (Map.Entry<Tags, Double> e : values.entrySet()) {
                Slot s = slots.get(e.getKey());
                if (s == null) {
                    Slot fresh = new Slot();
                    fresh.gauge = Gauge.builder(name, fresh, Slot::value)
                            .description(description)
                            .tags(e.getKey())
                            .strongReference(true)
                            .register(registry);
                    slots.put(e.getKey(), fresh);
                    s = fresh;
                }
                s.value = e.getValue();
            }
            slots.entrySet().removeIf(e -> {
                if (values.containsKey(e.getKey())) {
                    return false;
                }
                registry.remove(e.getValue().gauge);
                return true;
            });
        }
    }

    private static final class Slot {
        volatile double value;
        Gauge gauge;

        double value() {
            return value;
        }
    }
}

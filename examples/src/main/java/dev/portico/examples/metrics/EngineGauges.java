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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * The gauges: values read from the engine's status and the sources at scrape time rather than
 * counted from events. {@link #refresh} takes one status snapshot and sets every gauge from it,
 * registering gauges for frontends and backends that appeared and removing those of ones that are
 * gone. Called by one thread at a time ({@link PorticoMetrics#scrape()} serialises).
 */
final class EngineGauges {

    static final String STATE = "state";
    /** The Kubernetes source's watch states, exported even while not current so each series exists. */
    static final List<String> KNOWN_WATCH_STATES = List.of("connecting", "watching", "retrying");

    private final MetricsEvents events;
    private final GaugeFamily active;
    private final GaugeFamily listening;
    private final GaugeFamily buffered;
    private final GaugeFamily backendHealthy;
    private final GaugeFamily backendActive;
    private final GaugeFamily configError;
    private final GaugeFamily watchState;
    private final Map<String, Set<String>> seenWatchStates = new HashMap<>();

    EngineGauges(MeterRegistry registry, MetricsEvents events) {
        this.events = events;
        active = new GaugeFamily(registry, "portico.connections.active",
                "Client connections open now (including ones still connecting to a backend)");
        listening = new GaugeFamily(registry, "portico.frontend.listening",
                "1 while the frontend's listener is bound and accepting, 0 while it failed or drains");
        buffered = new GaugeFamily(registry, "portico.frontend.buffered.bytes",
                "Bytes held in write queues for the frontend's connections now, both directions (backpressure)");
        backendHealthy = new GaugeFamily(registry, "portico.backend.healthy",
                "1 while the backend takes new connections, 0 while it is down");
        backendActive = new GaugeFamily(registry, "portico.backend.connections.active",
                "Connections open to the backend now");
        configError = new GaugeFamily(registry, "portico.config.error",
                "1 while the source has a configuration error it has not recovered from (see /status)");
        watchState = new GaugeFamily(registry, "portico.source.watch.state",
                "1 for the source's current watch state (Kubernetes: connecting, watching, retrying), 0 for the others");
    }

    /**
     * Sets every gauge from one snapshot.
     *
     * @param status        the engine's status, read just now
     * @param snapshotNanos {@link System#nanoTime()} just before {@code status} was read
     * @param sources       the registered sources' names
     * @param lastErrors    each source's unrecovered error
     * @param watchStates   current watch state per source that has one
     */
    void refresh(EngineStatus status, long snapshotNanos, List<String> sources, Map<String, SourceError> lastErrors,
                 Map<String, String> watchStates) {
        Map<Tags, Double> activeValues = new HashMap<>();
        Map<Tags, Double> listeningValues = new HashMap<>();
        Map<Tags, Double> bufferedValues = new HashMap<>();
        Map<Tags, Double> healthyValues = new HashMap<>();
        Map<Tags, Double> backendActiveValues = new HashMap<>();
        Map<String, Set<String>> configured = new HashMap<>();
        BinaryOperator<Double> sum = Double::sum;
        BinaryOperator<Double> max = Math::max;
        // A frontend whose bind changed is listed twice for a while (new one running, old one draining).
        for (FrontendStatus f : status.frontends()) {
            Tags ft = Tags.of(MetricsEvents.FRONTEND, MetricsEvents.labelValue(f.name()));
            activeValues.merge(ft, (double) f.activeConnections(), sum);
            listeningValues.merge(ft, f.state() == EngineStatus.ListenerState.LISTENING ? 1.0 : 0.0, max);
            bufferedValues.merge(ft, (double) f.bufferedBytes(), sum);
            Set<String> addresses = configured.computeIfAbsent(f.name(), k -> new HashSet<>());
            List<dev.portico.api.Backend> backends = new ArrayList<>();
            for (BackendStatus b : f.backends()) {
                String address = b.backend().address();
                addresses.add(address);
                backends.add(b.backend());
                Tags bt = Tags.of(MetricsEvents.FRONTEND, MetricsEvents.labelValue(f.name()), MetricsEvents.BACKEND,
                        MetricsEvents.labelValue(address));
                healthyValues.merge(bt, b.healthy() ? 1.0 : 0.0, max);
                backendActiveValues.merge(bt, (double) b.activeConnections(), sum);
            }
            events.touch(f.name(), backends);
        }
        events.retain(configured, snapshotNanos);
        active.update(activeValues);
        listening.update(listeningValues);
        buffered.update(bufferedValues);
        backendHealthy.update(healthyValues);
        backendActive.update(backendActiveValues);

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

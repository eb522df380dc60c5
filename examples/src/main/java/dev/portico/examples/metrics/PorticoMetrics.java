package dev.portico.examples.metrics;

import dev.portico.api.EngineStatus;
import dev.portico.api.ForwardingEngine;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceCoordinator;
import dev.portico.api.SourceError;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Portico's metrics in one Prometheus registry: the {@link #events() event listener} to give the
 * engine and the coordinator, gauges read from the engine's status at scrape time, the sources'
 * watch states and the JVM's own metrics. Create it before the engine (the engine takes the
 * listener at build time), {@link #bind} the engine once it runs, then {@link #scrape()}.
 */
public final class PorticoMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final MetricsEvents events;
    private final EngineGauges gauges;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, Supplier<String>> watchStates = new ConcurrentHashMap<>();
    private volatile Bound bound;

    private record Bound(ForwardingEngine engine, SourceCoordinator coordinator, List<String> sources,
                         String version) {
    }

    public PorticoMetrics() {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    public PorticoMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        this.events = new MetricsEvents(registry);
        this.gauges = new EngineGauges(registry, events);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The listener that counts connections, bytes, refusals, failures and configuration events. */
    public ProxyEvents events() {
        return events;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Exports a source's watch state ({@code portico_source_watch_state{source,state}} and
     * {@code watchState} in {@code /status}). The supplier is called at each scrape and status
     * request, so it must be cheap; its value is lower-cased ({@code WATCHING} becomes
     * {@code watching}).
     */
    public void watchState(String source, Supplier<String> state) {
        watchStates.put(Objects.requireNonNull(source, "source"), Objects.requireNonNull(state, "state"));
    }

    /** Starts reading gauges and status from a running engine and its coordinator. */
    public void bind(ForwardingEngine engine, SourceCoordinator coordinator, List<String> sources, String version) {
        bound = new Bound(engine, coordinator, List.copyOf(sources), version);
    }

    /**
     * Refreshes the gauges and returns the Prometheus text exposition (format 0.0.4) as one String;
     * the HTTP endpoint streams it instead ({@link #scrapeBody()}).
     */
    public String scrape() {
        return scrapeBody().readAll();
    }

    /**
     * Refreshes the gauges and returns the exposition as a body to write piece by piece. What it
     * holds is one reference per frontend and the frontends' gauge values, not the text.
     */
    synchronized StreamedBody scrapeBody() {
        Bound b = bound;
        List<EngineGauges.Frontend> frontendGauges = List.of();
        if (b != null) {
            long before = System.nanoTime();
            EngineStatus status = b.engine.status();
            frontendGauges = gauges.refresh(status, before, b.sources, b.coordinator.lastErrors(), currentWatchStates());
        }
        return new PrometheusFamilies(registry.scrape(), events.frontendMeters(), frontendGauges);
    }

    /** The {@code /status} document as JSON, or {@code null} while no engine is bound yet. */
    public byte[] statusJson() {
        StreamedBody body = statusBody();
        return body == null ? null : body.readAll().getBytes(StandardCharsets.UTF_8);
    }

    /** The {@code /status} document as a body to write piece by piece, or null while no engine is bound. */
    StreamedBody statusBody() {
        Bound b = bound;
        if (b == null) {
            return null;
        }
        EngineStatus status = b.engine.status();
        Map<String, SourceError> errors = b.coordinator.lastErrors();
        return new StatusDocument(b.version, status, b.sources, errors, currentWatchStates());
    }

    private Map<String, String> currentWatchStates() {
        Map<String, String> out = new LinkedHashMap<>();
        watchStates.forEach((source, supplier) -> {
            String s;
            try {
                s = String.valueOf(supplier.get()).toLowerCase(Locale.ROOT);
            } catch (RuntimeException e) {
                s = "unknown";
            }
            out.put(source, s);
        });
        return out;
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}

/**
 * Micrometer metrics and the router's HTTP endpoint for them: {@link dev.portico.examples.metrics.PorticoMetrics}
 * counts what the engine reports through its event SPI and reads gauges from its status at scrape time;
 * {@link dev.portico.examples.metrics.MetricsServer} serves {@code /metrics} (Prometheus), {@code /status}
 * (JSON) and {@code /healthz} on a Netty event loop of its own, streaming the large answers. The engine
 * itself has no metrics dependency.
 */
package dev.portico.examples.metrics;

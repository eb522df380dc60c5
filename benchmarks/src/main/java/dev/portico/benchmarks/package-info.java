/**
 * JMH benchmarks guarding Portico's hot path (bytes relayed through {@code NettyForwardingEngine}
 * over real loopback sockets, per transport and buffer allocator), connection set-up, and the
 * control plane (merging and applying 10,000 frontends). Run with
 * {@code java -jar benchmarks/target/benchmarks.jar}; see {@code benchmarks/README.md}.
 */
package dev.portico.benchmarks;

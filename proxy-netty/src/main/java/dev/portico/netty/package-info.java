/**
 * The Netty forwarding engine behind {@link dev.portico.api.ForwardingEngine}: listeners diffed
 * against the desired state, the byte relay (half-close, reset propagation, backpressure, idle
 * timeout), active and passive health checks, and the choice of native transport.
 */
package dev.portico.netty;

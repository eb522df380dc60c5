/**
 * Portico's model and service-provider interfaces: the desired state (frontends and their
 * backends), the {@link dev.portico.api.BackendSource} SPI that discovery modules implement, the
 * {@link dev.portico.api.ForwardingEngine} SPI, balancing and event listeners. Pure logic lives
 * here too (bind-address parsing, merging several sources' snapshots) so it can be tested
 * without sockets. Depends on the JDK only.
 */
package dev.portico.api;

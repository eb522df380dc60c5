/**
 * Kubernetes Services of type LoadBalancer as a Portico {@link dev.portico.api.BackendSource}: one
 * fabric8 informer watches the Services, {@link dev.portico.discovery.kubernetes.ServiceMapper}
 * turns each into frontends on the chosen exposure addresses, and
 * {@link dev.portico.discovery.kubernetes.KubernetesServiceSource} publishes the whole set after
 * every change. discovery-file's {@code L4ProxyWriter} writes the same frontends as an l4proxy v1
 * file, for a drop-in replacement of l4proxy's service-announcer.
 */
package dev.portico.discovery.kubernetes;

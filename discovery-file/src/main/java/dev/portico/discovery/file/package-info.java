/**
 * YAML files as a {@link dev.portico.api.BackendSource}: {@link dev.portico.discovery.file.FileBackendSource}
 * reads l4proxy's v1 format unchanged plus Portico's extensions, rejects a bad file whole with
 * {@code file:line:column} messages while its last good version keeps serving, and reloads files and
 * directories (ConfigMap volumes included) live, within a second of a change.
 * {@link dev.portico.discovery.file.L4ProxyWriter} writes frontends back in l4proxy's format, next to
 * the reader that reads them.
 */
package dev.portico.discovery.file;

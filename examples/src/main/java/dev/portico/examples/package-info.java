/**
 * The programs built from Portico's modules: {@link dev.portico.examples.Portico}, the {@code portico}
 * launcher (the {@code router} that serves YAML-configured frontends, and a self-contained
 * {@code demo}), and {@link dev.portico.examples.EmbeddingExample}, the shortest way to embed the
 * proxy in a Java service. Nothing here is API; it shows how the library's pieces fit together.
 */
package dev.portico.examples;

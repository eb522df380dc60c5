package dev.portico.examples;

import dev.portico.api.ApplyResult;
import dev.portico.api.BackendSource;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceCoordinator;
import dev.portico.netty.NettyForwardingEngine;
import java.time.Duration;
import java.util.List;

/**
 * Portico embedded in a program: forwards {@code BIND} to {@code BACKEND} (defaults
 * {@code 127.0.0.1:8080} and {@code 127.0.0.1:9090}) until Ctrl-C. Run it with
 * {@code java -cp examples/target/portico.jar dev.portico.examples.EmbeddingExample BIND BACKEND}.
 */
public final class EmbeddingExample {
    private EmbeddingExample() {
    }

    public static void main(String[] args) throws InterruptedException {
        String bind = args.length > 0 ? args[0] : "127.0.0.1:8080";
        String backend = args.length > 1 ? args[1] : "127.0.0.1:9090";
        Frontend frontend = Frontend.builder(bind).name("example").backend(backend).build();

        // A source publishes the complete list of frontends it wants, again whenever it changes;
        // this one never changes. FileBackendSource and KubernetesServiceSource are sources too.
        BackendSource source = BackendSource.fixed("code", List.of(frontend));
        ProxyEvents events = new ProxyEvents() {
            @Override public void onConfigApplied(ApplyResult result) { result.changes().forEach(System.out::println); }
            @Override public void onListenerFailed(String name, BindAddress at, String why) {
                System.err.println("cannot listen on " + at + ": " + why);
            }
        };

        NettyForwardingEngine engine = NettyForwardingEngine.builder().events(events).build();
        SourceCoordinator coordinator = new SourceCoordinator(engine, events).add(source);
        coordinator.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            coordinator.close();
            engine.close(Duration.ofSeconds(10));
        }));
        Thread.currentThread().join();
    }
}

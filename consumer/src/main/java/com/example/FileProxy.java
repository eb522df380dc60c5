package com.example;

import dev.portico.api.ApplyResult;
import dev.portico.api.BindAddress;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceCoordinator;
import dev.portico.api.SourceError;
import dev.portico.discovery.file.FileBackendSource;
import dev.portico.netty.NettyForwardingEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Forwards TCP as YAML files in l4proxy's format say, and follows every change to them. */
public final class FileProxy implements AutoCloseable {
    private final NettyForwardingEngine engine;
    private final SourceCoordinator coordinator;

    public FileProxy(List<Path> files) {
        // The events are how the library reports; it logs through SLF4J besides.
        ProxyEvents events = new ProxyEvents() {
            @Override public void onConfigApplied(ApplyResult result) { result.changes().forEach(System.out::println); }
            @Override public void onConfigRejected(SourceError error) { System.err.println(error); }
            @Override public void onListenerFailed(String frontend, BindAddress at, String why) {
                System.err.println("cannot listen on " + at + ": " + why);
            }
        };
        engine = NettyForwardingEngine.builder().events(events).build();
        // The source reads and watches the files and publishes every good version; the coordinator
        // applies each to the engine, which changes only what differs (a bad file keeps the last good one).
        coordinator = new SourceCoordinator(engine, events).add(new FileBackendSource(files));
        coordinator.start();
    }

    /** The running engine; status() shows each frontend's listener, backends and connections. */
    public NettyForwardingEngine engine() {
        return engine;
    }

    @Override
    public void close() {
        coordinator.close();
        engine.close(Duration.ofSeconds(10)); // open connections get 10 s to finish
    }

    public static void main(String[] args) throws InterruptedException {
        FileProxy proxy = new FileProxy(List.of(Path.of(args.length > 0 ? args[0] : "portico.yaml")));
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::close));
        Thread.currentThread().join();
    }
}

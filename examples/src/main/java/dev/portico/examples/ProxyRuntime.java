package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.SourceCoordinator;
import dev.portico.netty.NettyForwardingEngine;
import dev.portico.netty.Transport;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;

/**
 * An engine, its sources and their coordinator, started together and stopped together: what
 * {@code router} and {@code demo} share. Stopping on SIGTERM or Ctrl-C is a shutdown hook, so the
 * JVM's own signal handling stays in place.
 */
final class ProxyRuntime {

    /** How long the first read of every source may take before the launcher carries on regardless. */
    private static final Duration FIRST_APPLY_WAIT = Duration.ofSeconds(30);

    private final Logger log;
    private final NettyForwardingEngine engine;
    private final SourceCoordinator coordinator;

    private ProxyRuntime(Logger log, NettyForwardingEngine engine, SourceCoordinator coordinator) {
        this.log = log;
        this.engine = engine;
        this.coordinator = coordinator;
    }

    /** The launcher cannot start, with the exit code and a message saying what to do. */
    static final class StartupException extends Exception {
        private final int exitCode;

        StartupException(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }

        int exitCode() {
            return exitCode;
        }
    }

    /**
     * Builds the engine, starts the sources and returns once their first snapshots have been applied
     * (or {@link #FIRST_APPLY_WAIT} passed).
     */
    static ProxyRuntime start(Logger log, EngineOptions options, List<BackendSource> sources)
            throws StartupException, InterruptedException {
        Transport transport = chooseTransport(options.transport, log);
        LoggingEvents events = new LoggingEvents(log);
        NettyForwardingEngine engine = NettyForwardingEngine.builder()
                .transport(transport)
                .ioThreads(options.ioThreads)
                .events(events)
                .build();
        SourceCoordinator coordinator = new SourceCoordinator(engine, events);
        for (BackendSource s : sources) {
            coordinator.add(s);
        }
        coordinator.start();
        if (!events.awaitFirstApply(FIRST_APPLY_WAIT)) {
            log.warn("the configuration has not been applied after {}; carrying on, it is applied when it comes",
                    Durations.format(FIRST_APPLY_WAIT));
        }
        return new ProxyRuntime(log, engine, coordinator);
    }

    /**
     * {@code auto} is epoll where it loads, else NIO, and says why when epoll was expected; an
     * explicitly asked-for transport that cannot run here is an error rather than a silent fallback.
     */
    static Transport chooseTransport(Transport wanted, Logger log) throws StartupException {
        if (wanted == Transport.AUTO) {
            if (Transport.EPOLL.isAvailable()) {
                return Transport.EPOLL;
            }
            String why = Transport.EPOLL.unavailabilityCause();
            if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                log.warn("epoll is not available ({}); falling back to nio", why);
            } else {
                log.info("epoll is Linux-only; using nio");
            }
            return Transport.NIO;
        }
        if (!wanted.isAvailable()) {
            throw new StartupException(Portico.EXIT_FAILURE, "transport " + wanted.configName()
                    + " is not available here: " + wanted.unavailabilityCause()
                    + "; use --transport auto (epoll where possible, else nio) or --transport nio");
        }
        return wanted;
    }

    NettyForwardingEngine engine() {
        return engine;
    }

    SourceCoordinator coordinator() {
        return coordinator;
    }

    /** Stops at once, for a start that is given up. */
    void stopNow() {
        coordinator.close();
        engine.close(Duration.ZERO);
    }

    /**
     * Blocks until SIGTERM or Ctrl-C, then stops the sources, lets open connections finish for up to
     * {@code drainTimeout}, runs {@code alsoClose} and ends the process with status 0 (the JVM's
     * own status after a signal would be 143 or 130, which systemd counts as a failure).
     */
    void runUntilStopped(Duration drainTimeout, Runnable alsoClose) throws InterruptedException {
        Thread hook = new Thread(() -> {
            int status = 0;
            try {
                long open = engine.status().activeConnections();
                log.info("stopping: closing listeners; {} open connection(s) get up to {} to finish", open,
                        Durations.format(drainTimeout));
                coordinator.close();
                engine.close(drainTimeout);
                alsoClose.run();
                log.info("stopped");
            } catch (RuntimeException e) {
                log.error("shutdown failed", e);
                status = Portico.EXIT_FAILURE;
            } finally {
                // Exits with our status rather than the signal's; nothing else is left to run.
                Runtime.getRuntime().halt(status);
            }
        }, "portico-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        new CountDownLatch(1).await();
    }
}

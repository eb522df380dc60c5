package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.Cidr;
import dev.portico.api.EngineStatus;
import dev.portico.api.ProxyEvents;
import dev.portico.api.SourceCoordinator;
import dev.portico.api.UnresolvableBindException;
import dev.portico.discovery.file.FileBackendSource;
import dev.portico.discovery.kubernetes.KubernetesServiceSource;
import dev.portico.examples.metrics.MetricsServer;
import dev.portico.examples.metrics.PorticoMetrics;
import dev.portico.netty.NettyForwardingEngine;
import dev.portico.netty.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * An engine, its sources and their coordinator, started together and stopped together: what
 * {@code router} and {@code demo} share. Stopping on SIGTERM or Ctrl-C is a shutdown hook, so the
 * JVM's own handling of those stays in place; SIGHUP, which the JVM would also treat as "exit",
 * re-reads the configuration instead ({@link Hangup}). Under systemd it reports readiness, status,
 * reloads and stopping through {@link SystemdNotifier}.
 */
final class ProxyRuntime {

    /** How long the first read of every source may take before the launcher carries on regardless. */
    static final Duration FIRST_APPLY_WAIT = Duration.ofSeconds(30);

    private final Logger log;
    private final NettyForwardingEngine engine;
    private final SourceCoordinator coordinator;
    // The --metrics endpoint and its registry; null without --metrics.
    private final MetricsServer metricsServer;
    private final PorticoMetrics metrics;
    private final List<BackendSource> sources;
    private final SystemdNotifier notifier;
    private final Hangup.Applies applies;

    // Set before the first frontend listens, read by the stop hook.
    private volatile Duration drainTimeout;
    private volatile Runnable alsoClose = () -> { };
    private Thread stopHook;

    private ProxyRuntime(Logger log, NettyForwardingEngine engine, SourceCoordinator coordinator,
                         MetricsServer metricsServer, PorticoMetrics metrics, List<BackendSource> sources,
                         SystemdNotifier notifier, Hangup.Applies applies) {
        this.log = log;
        this.engine = engine;
        this.coordinator = coordinator;
        this.metricsServer = metricsServer;
        this.metrics = metrics;
        this.sources = List.copyOf(sources);
        this.notifier = notifier;
        this.applies = applies;
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
        return start(log, options, sources, FIRST_APPLY_WAIT);
    }

    /** As {@link #start(Logger, EngineOptions, List)}, waiting at most {@code firstApplyWait} for the first apply. */
    static ProxyRuntime start(Logger log, EngineOptions options, List<BackendSource> sources, Duration firstApplyWait)
            throws StartupException, InterruptedException {
        return start(log, options, new ObservabilityOptions(), sources, firstApplyWait);
    }

    /**
     * As {@link #start(Logger, EngineOptions, List, Duration)}, with the access log and the
     * {@code --metrics} endpoint as {@code observed} asks. The metrics port is bound before anything
     * else, so a taken port ends the start before any frontend listens.
     */
    static ProxyRuntime start(Logger log, EngineOptions options, ObservabilityOptions observed,
                              List<BackendSource> sources, Duration firstApplyWait)
            throws StartupException, InterruptedException {
        // First of all: from here on a SIGHUP must not end the process.
        Hangup hangup = Hangup.install(log);
        Transport transport = chooseTransport(options.transport, log);
        if (options.freebind) {
            if (transport == Transport.NIO) {
                throw new StartupException(Portico.EXIT_FAILURE, "--freebind needs the epoll or io_uring transport "
                        + "(nio cannot set IP_FREEBIND); drop --transport nio, or run where epoll loads");
            }
            log.info("listeners use IP_FREEBIND: they bind addresses this machine does not hold (yet)");
        }
        LoggingEvents logEvents = new LoggingEvents(log);
        SystemdNotifier notifier = SystemdNotifier.fromEnvironment(System.getenv(), log);
        Hangup.Applies applies = new Hangup.Applies(notifier);
        List<ProxyEvents> listeners = new ArrayList<>(List.of(logEvents, applies));
        if (observed.accessLog) {
            listeners.add(new AccessLogEvents());
        }
        PorticoMetrics metrics = null;
        MetricsServer metricsServer = null;
        if (observed.metrics != null) {
            metrics = new PorticoMetrics();
            observed.watchStates().forEach(metrics::watchState);
            metricsServer = startMetrics(observed, metrics);
            listeners.add(metrics.events());
            log.info("metrics: http://{}/metrics, status: /status, health: /healthz",
                    AccessLogEvents.address(metricsServer.address()));
        }
        AtomicBoolean listenerFailureLogged = new AtomicBoolean();
        ProxyEvents events = ProxyEvents.all(listeners, (listener, e) -> {
            if (listenerFailureLogged.compareAndSet(false, true)) {
                log.warn("an event listener failed (reported once): {}", listener.getClass().getName(), e);
            }
        });
        logAccessControl(log, options);
        NettyForwardingEngine.Builder builder = NettyForwardingEngine.builder()
                .transport(transport)
                .freebind(options.freebind)
                .ioThreads(options.ioThreads)
                .defaultAllow(List.copyOf(options.allow))
                .defaultDeny(List.copyOf(options.deny))
                .sniHelloTimeout(options.sniHelloTimeout)
                .sniHelloMaxBytes(options.sniHelloMaxSize)
                .sniNonTlsToCatchAll(options.sniNonTlsToCatchAll)
                .events(events);
        if (options.maxConnections != null) {
            builder.maxConnections(options.maxConnections);
        }
        NettyForwardingEngine engine = builder.build();
        SourceCoordinator coordinator = new SourceCoordinator(engine, events);
        for (BackendSource s : sources) {
            coordinator.add(s);
        }
        if (metrics != null) {
            metrics.bind(engine, coordinator, sources.stream().map(BackendSource::name).toList(), Portico.version());
        }
        notifier.statusFrom(() -> statusLine(engine, coordinator));
        ProxyRuntime runtime = new ProxyRuntime(log, engine, coordinator, metricsServer, metrics, sources, notifier,
                applies);
        // Before the first frontend listens: a SIGTERM from then on (systemd stopping a router that
        // is still starting) drains and exits 0, never the JVM's bare 143.
        runtime.installStopHook(options.drainTimeout);
        try {
            coordinator.start();
            if (!awaitFirstApply(coordinator, firstApplyWait, log)) {
                log.warn("the configuration has not been applied after {}; carrying on, it is applied when it comes",
                        Durations.format(firstApplyWait));
            }
        } catch (RuntimeException | InterruptedException e) {
            runtime.removeStopHook();
            throw e;
        }
        hangup.reloadWith(runtime::reload);
        return runtime;
    }

    /** Whether the first configuration was applied within {@code wait}. */
    private static boolean awaitFirstApply(SourceCoordinator coordinator, Duration wait, Logger log)
            throws InterruptedException {
        try {
            coordinator.firstApply().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            log.debug("no first apply", e.getCause());
            return false;
        }
    }

    /** {@code serving N frontend(s), M listening}: what {@code systemctl status} shows. */
    static String statusLine(NettyForwardingEngine engine, SourceCoordinator coordinator) {
        long listening = engine.status().frontends().stream()
                .filter(f -> f.state() == EngineStatus.ListenerState.LISTENING).count();
        return "serving " + coordinator.current().frontends().size() + " frontend(s), " + listening + " listening";
    }

    /**
     * Re-reads every source now (SIGHUP): files are read at once instead of at the next watch
     * event or poll; the Kubernetes watch already delivers every change as it happens, so it has
     * nothing to re-read. Logs the result and tells systemd the reload is over.
     */
    void reload(String why) {
        log.info("reload requested ({})", why);
        notifier.reloading();
        long appliedBefore = applies.count();
        boolean published = false;
        for (BackendSource s : sources) {
            if (s instanceof FileBackendSource files) {
                try {
                    published |= files.reloadNow().get(30, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    log.warn("re-reading the files of source '{}' takes over 30 s; it carries on in the background",
                            s.name());
                } catch (ExecutionException e) {
                    log.error("re-reading the files of source '{}' failed", s.name(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } else if (s instanceof KubernetesServiceSource) {
                log.info("source '{}': the Kubernetes watch applies every change as it comes; nothing to re-read",
                        s.name());
            }
        }
        if (published && !applies.awaitMoreThan(appliedBefore, Duration.ofSeconds(30))) {
            log.warn("the re-read configuration has not been applied after 30 s; it is applied when it can be");
        }
        log.info("reload done: {}", statusLine(engine, coordinator));
        notifier.ready();
    }

    /** Binds the {@code --metrics} endpoint; a failure is exit 1 with a message naming the flag. */
    private static MetricsServer startMetrics(ObservabilityOptions observed, PorticoMetrics metrics)
            throws StartupException {
        InetSocketAddress address;
        try {
            address = observed.metrics.resolve();
        } catch (UnresolvableBindException e) {
            metrics.close();
            throw new StartupException(Portico.EXIT_FAILURE, "--metrics " + observed.metrics + ": " + e.getMessage());
        }
        try {
            return MetricsServer.start(address, metrics);
        } catch (IOException e) {
            metrics.close();
            throw new StartupException(Portico.EXIT_FAILURE, "--metrics " + observed.metrics + ": cannot listen on "
                    + AccessLogEvents.address(address) + ": " + e.getMessage()
                    + "; pick another port or stop what uses it");
        }
    }

    private static void logAccessControl(Logger log, EngineOptions options) {
        if (!options.allow.isEmpty()) {
            log.info("frontends without an allow list of their own serve only {}", cidrs(options.allow));
        }
        if (!options.deny.isEmpty()) {
            log.info("every frontend refuses {}", cidrs(options.deny));
        }
        if (options.maxConnections != null && options.maxConnections > 0) {
            log.info("at most {} client connections at once over all frontends", options.maxConnections);
        }
    }

    private static String cidrs(List<Cidr> list) {
        return String.join(", ", list.stream().map(Cidr::toString).toList());
    }

    /**
     * {@code auto} is epoll where it loads, else NIO, and says why when epoll was expected; an
     * explicitly asked-for transport that cannot run here is an error rather than a silent fallback.
     */
    static Transport chooseTransport(Transport wanted, Logger log) throws StartupException {
        if (wanted == Transport.AUTO) {
            Transport chosen = wanted.resolve(); // the engine's rule; here only the why is added
            if (chosen != Transport.NIO) {
                return chosen;
            }
            String why = Transport.EPOLL.unavailabilityCause();
            if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                log.warn("epoll is not available ({}); falling back to nio", why);
            } else {
                log.info("epoll is Linux-only; using nio");
            }
            return chosen;
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
        if (!removeStopHook()) {
            return; // a signal is stopping the process already, through the hook
        }
        notifier.close();
        coordinator.close();
        engine.close(Duration.ZERO);
        closeMetrics();
    }

    private void closeMetrics() {
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (metrics != null) {
            metrics.close();
        }
    }

    private void installStopHook(Duration drain) {
        drainTimeout = drain;
        stopHook = new Thread(this::stopOnSignal, "portico-shutdown");
        Runtime.getRuntime().addShutdownHook(stopHook);
    }

    /** Whether the hook was removed; false when the JVM is already shutting down (it runs the hook). */
    private boolean removeStopHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(stopHook);
            return true;
        } catch (IllegalStateException shuttingDown) {
            log.debug("not removing the stop hook: the JVM is shutting down ({})", shuttingDown.getMessage());
            return false;
        }
    }

    /**
     * The shutdown hook: stops the sources, lets open connections finish for up to the drain
     * timeout, runs what {@link #runUntilStopped} was given and ends the process with status 0 (the
     * JVM's own status after a signal would be 143 or 130, which systemd counts as a failure).
     */
    private void stopOnSignal() {
        int status = 0;
        try {
            notifier.stopping();
            long open = engine.status().activeConnections();
            Duration drain = drainTimeout;
            log.info("stopping: closing listeners; {} open connection(s) get up to {} to finish", open,
                    Durations.format(drain));
            coordinator.close();
            engine.close(drain);
            alsoClose.run();
            closeMetrics();
            log.info("stopped");
        } catch (RuntimeException e) {
            log.error("shutdown failed", e);
            status = Portico.EXIT_FAILURE;
        } finally {
            // The access log's last lines are still queued in its async appender.
            Logging.flush();
            // Exits with our status rather than the signal's; nothing else is left to run.
            Runtime.getRuntime().halt(status);
        }
    }

    /**
     * Blocks until SIGTERM or Ctrl-C (the hook installed at the start then stops everything, lets
     * open connections finish for up to {@code drainTimeout}, runs {@code alsoClose} and exits 0).
     */
    void runUntilStopped(Duration drainTimeout, Runnable alsoClose) throws InterruptedException {
        this.drainTimeout = drainTimeout;
        this.alsoClose = alsoClose;
        notifier.ready();
        new CountDownLatch(1).await();
    }
}

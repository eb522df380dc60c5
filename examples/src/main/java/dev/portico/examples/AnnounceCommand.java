package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;
import dev.portico.discovery.kubernetes.KubernetesServiceSource;
import dev.portico.discovery.file.L4ProxyWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code portico announce}: l4proxy's service-announcer, as a drop-in. Watches the cluster's
 * LoadBalancer Services with the same source the router uses and writes them as an l4proxy v1 file,
 * replaced atomically and only when its content changes, so a watching l4proxy or Portico reloads
 * once per real change. service-announcer's flags are accepted as it spells them, including Go's
 * single-dash forms ({@code -bind}), so existing units and scripts keep working.
 */
@Command(name = "announce",
        mixinStandardHelpOptions = true,
        versionProvider = Portico.Version.class,
        sortOptions = false,
        description = {
                "Writes the cluster's LoadBalancer Services to an l4proxy config file and keeps it current: a "
                        + "drop-in for l4proxy's service-announcer. The file is replaced atomically (temporary "
                        + "file + rename) and only when its content changes. Runs until SIGTERM or Ctrl-C.",
                ""
        },
        footer = {
                "",
                "Exit status: 0 after SIGTERM/Ctrl-C; 2 for bad flags (no --l4proxy-config, a FILE whose "
                        + "directory does not exist, a bad --bind, --label-selector or --namespace); 1 on an "
                        + "unexpected error. An API server that cannot be reached is retried, not an exit.",
                "",
                "Example:  portico announce --l4proxy-config /etc/l4proxy/services.yaml \\",
                "              --bind 192.168.1.2",
        })
final class AnnounceCommand implements Callable<Integer> {

    /** After a failed write, how long until the next attempt. */
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final Logger log = Logging.logger("announce");

    @Spec
    CommandSpec spec;

    @Option(names = "--l4proxy-config", paramLabel = "FILE",
            description = "The l4proxy config file to write (required). Its directory must exist.")
    Path output;

    @Option(names = "--metrics-bind-address", paramLabel = "ADDR",
            description = "Accepted for compatibility with service-announcer and ignored: announce serves no "
                    + "metrics.")
    String metricsBindAddress;

    @Mixin
    KubernetesOptions kube;

    @Mixin
    LoggingOptions logging;

    // Go's flag package, which service-announcer uses, takes -flag as well as --flag.
    @Option(names = "-l4proxy-config", hidden = true)
    void goL4proxyConfig(Path value) {
        output = value;
    }

    @Option(names = "-bind", hidden = true)
    void goBind(String value) {
        kube.bind = value;
    }

    @Option(names = "-label-selector", hidden = true)
    void goLabelSelector(String value) {
        kube.labelSelector = value;
    }

    @Option(names = "-metrics-bind-address", hidden = true)
    void goMetricsBindAddress(String value) {
        metricsBindAddress = value;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (output == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--l4proxy-config=FILE' "
                    + "(the l4proxy config file to write)");
        }
        Path file = output.toAbsolutePath().normalize();
        if (Files.isDirectory(file)) {
            throw new ParameterException(spec.commandLine(), "--l4proxy-config '" + output
                    + "' is a directory; give the file to write");
        }
        Path dir = file.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ParameterException(spec.commandLine(), "--l4proxy-config '" + output + "': directory "
                    + dir + " does not exist");
        }
        KubernetesServiceSource source = kube.build(spec.commandLine());
        log.info("portico {} announce starting: writing {}; Services are exposed on {}", Portico.version(), file,
                kube.describeExposure(source));
        if (metricsBindAddress != null) {
            log.info("--metrics-bind-address {} is ignored: portico announce serves no metrics", metricsBindAddress);
        }
        Announcer announcer = new Announcer(file);
        source.start(announcer);
        Thread hook = new Thread(() -> {
            int status = 0;
            try {
                log.info("stopping");
                source.close();
                announcer.close();
                log.info("stopped");
            } catch (RuntimeException e) {
                log.error("shutdown failed", e);
                status = Portico.EXIT_FAILURE;
            } finally {
                // Our status rather than the signal's (143), which systemd counts as a failure.
                Runtime.getRuntime().halt(status);
            }
        }, "portico-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        new CountDownLatch(1).await();
        return 0; // Not reached: the shutdown hook ends the process.
    }

    /**
     * Writes each snapshot on one thread, newest first: a burst of snapshots costs one write, and a
     * write that fails (disk full, directory gone) is retried with the latest snapshot.
     */
    private final class Announcer implements BackendSource.Listener {
        private final Path file;
        private final L4ProxyWriter writer = new L4ProxyWriter();
        private final AtomicReference<List<Frontend>> latest = new AtomicReference<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private final ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "portico-announce");
            t.setDaemon(true);
            return t;
        });
        // Only touched on the writer thread.
        private boolean failing;

        Announcer(Path file) {
            this.file = file;
            thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // a pending retry does not hold up a stop
        }

        @Override
        public void onSnapshot(Snapshot snapshot) {
            latest.set(snapshot.frontends());
            schedule(0);
        }

        @Override
        public void onError(SourceError error) {
            // The source reports each problem once, and its end through onRecovered (logged by the source).
            log.error("{}", LoggingEvents.describe(error));
        }

        private void schedule(long delayMillis) {
            if (scheduled.compareAndSet(false, true)) {
                try {
                    thread.schedule(this::write, delayMillis, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    log.debug("not writing {}: stopping", file);
                }
            }
        }

        private void write() {
            scheduled.set(false);
            List<Frontend> frontends = latest.get();
            try {
                if (!writer.write(file, frontends)) { // logs "wrote FILE (N frontends)" when it writes
                    log.debug("{} is up to date", file);
                }
                if (failing) {
                    failing = false;
                    log.info("{} can be written again", file);
                }
            } catch (IOException | RuntimeException e) {
                if (!failing) {
                    failing = true;
                    log.error("cannot write {}: {}; retrying every {}", file, e, Durations.format(RETRY));
                } else {
                    log.debug("cannot write {} still", file, e);
                }
                schedule(RETRY.toMillis());
            }
        }

        void close() {
            thread.shutdown();
            try {
                if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                    thread.shutdownNow();
                }
            } catch (InterruptedException e) {
                thread.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}

package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.EngineStatus;
import dev.portico.discovery.file.FileBackendSource;
import dev.portico.discovery.kubernetes.KubernetesServiceSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code portico router}: the router box's job. Serves the frontends of YAML files (l4proxy's format
 * and Portico's extensions) and, with {@code --kubernetes}, of the cluster's LoadBalancer Services,
 * applying every change live, until SIGTERM or Ctrl-C. Files are registered first, so a static
 * frontend wins a bind that a Service also wants.
 *
 * <p>"No usable configuration", which ends the start with exit code 2, is precisely: no source was
 * given (no {@code -c}, no {@code --kubernetes}), or, without {@code --kubernetes}, the first read
 * of the files yields no frontend at all because every file is missing, invalid or empty. With
 * {@code --kubernetes} an empty start is normal (the cluster may have no Service yet, or not be
 * reachable yet: the source retries while the file frontends serve). A configuration whose
 * frontends are all defined but cannot listen yet (address in use, interface down) is usable: the
 * engine retries those listeners every few seconds, and each failure is logged. Files that are
 * missing or invalid next to good ones are reported and watched; they join as soon as they are good.
 */
@Command(name = "router",
        mixinStandardHelpOptions = true,
        versionProvider = Portico.Version.class,
        sortOptions = false,
        description = {
                "Runs the proxy: listens on the frontends the config files (and, with --kubernetes, the "
                        + "cluster's LoadBalancer Services) define and forwards each connection to one of their "
                        + "backends. Changes are applied live, without dropping connections; SIGHUP re-reads "
                        + "every file at once and keeps running. SIGTERM or Ctrl-C stops it after draining open "
                        + "connections. Under systemd (Type=notify) it reports readiness, status and the watchdog.",
                ""
        },
        footer = {
                "",
                "Exit status: 0 after SIGTERM/Ctrl-C; 2 for bad flags or no usable configuration (neither -c "
                        + "nor --kubernetes, or no frontend in any file and no --kubernetes); 1 when the environment "
                        + "refuses (transport unavailable, unexpected error).",
                "",
                "Examples:  portico router -c /etc/portico",
                "           portico router --kubernetes --kubeconfig /etc/portico/kubeconfig \\",
                "               --expose internal=@eth1 --expose external=@eth2 -c /etc/portico",
        })
final class RouterCommand implements Callable<Integer> {

    /** With only Kubernetes as a source, how long the start waits for the first list before logging that it runs. */
    private static final Duration KUBERNETES_ONLY_FIRST_APPLY_WAIT = Duration.ofSeconds(5);

    private final Logger log = Logging.logger("router");

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", split = ",", splitSynopsisLabel = ",",
            description = "A YAML config file or a directory of *.yaml/*.yml files, watched and reloaded "
                    + "live. Repeatable; a comma-separated list works too, as in l4proxy.")
    List<Path> configs = new ArrayList<>();

    // A packaged service starts before the operator has written a frontend; exiting 2 then would
    // make systemd restart it every few seconds. The files are watched either way.
    @Option(names = "--allow-empty",
            description = "Keep running when the files define no frontend yet (an empty directory, only "
                    + "comments), waiting for one to be written, instead of exiting 2. For a service.")
    boolean allowEmpty;

    @Option(names = "--kubernetes",
            description = "Also serve the cluster's LoadBalancer Services, watched live: each TCP port of a "
                    + "Service with a load-balancer ingress address becomes a frontend on the exposure "
                    + "address (--bind, --expose) forwarding to the ingress addresses. Works with or "
                    + "without -c.")
    boolean kubernetes;

    @Mixin
    KubernetesOptions kube;

    // Sources other than files add their option mixins here and a branch in sources(); everything
    // after sources() is shared.

    @Mixin
    EngineOptions engine;

    @Mixin
    ObservabilityOptions observability;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws InterruptedException {
        List<BackendSource> sources = sources();
        if (sources.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "no configuration: pass -c FILE (a YAML file or a "
                    + "directory of them), e.g. 'portico router -c portico.yaml', or --kubernetes; to see "
                    + "Portico work without one, try 'portico demo'");
        }
        log.info("portico {} router starting; config: {}", Portico.version(),
                configs.isEmpty() ? "none" : configs.stream().map(Path::toString).collect(Collectors.joining(", ")));
        if (kubernetes) {
            sources.stream().filter(KubernetesServiceSource.class::isInstance).findFirst().ifPresent(k8s -> log.info(
                    "Kubernetes LoadBalancer Services are exposed on {}",
                    kube.describeExposure((KubernetesServiceSource) k8s)));
        }
        ProxyRuntime runtime;
        try {
            // A cluster that cannot be reached yet must not hold up the file frontends, nor a
            // Kubernetes-only router for long: it serves what comes when it comes.
            runtime = ProxyRuntime.start(log, engine, observability, sources,
                    configs.isEmpty() ? KUBERNETES_ONLY_FIRST_APPLY_WAIT : ProxyRuntime.FIRST_APPLY_WAIT);
        } catch (ProxyRuntime.StartupException e) {
            log.error("{}", e.getMessage());
            return e.exitCode();
        }
        int frontends = runtime.coordinator().current().frontends().size();
        if (frontends == 0 && everySourceIsStatic() && !allowEmpty) {
            String paths = configs.stream().map(Path::toString).collect(Collectors.joining(", "));
            if (runtime.coordinator().lastErrors().isEmpty()) {
                log.error("no usable configuration: {} define{} no frontend. Add one (a 'frontends:' entry with "
                                + "'bind' and 'backends') or pass other files with -c; 'portico demo' shows a "
                                + "working setup without one.",
                        paths, configs.size() == 1 ? "s" : "");
            } else {
                log.error("no usable configuration: no frontend could be read from {} (see the errors above). Fix "
                        + "them or pass other files with -c; 'portico demo' shows a working setup without one.", paths);
            }
            runtime.stopNow();
            return Portico.EXIT_USAGE;
        }
        long listening = runtime.engine().status().frontends().stream()
                .filter(f -> f.state() == EngineStatus.ListenerState.LISTENING).count();
        log.info("running: {} frontend(s), {} listening; SIGTERM or Ctrl-C stops, draining for up to {}",
                frontends, listening, Durations.format(engine.drainTimeout));
        runtime.runUntilStopped(engine.drainTimeout, () -> { });
        return 0; // Not reached: the shutdown hook ends the process.
    }

    /** The sources the flags ask for, in conflict-precedence order (the first wins a contested bind). */
    private List<BackendSource> sources() {
        List<String> kubeFlags = KubernetesOptions.given(spec.commandLine().getParseResult());
        if (!kubernetes && !kubeFlags.isEmpty()) {
            throw new ParameterException(spec.commandLine(), kubeFlags.get(0) + " is a Kubernetes flag: add "
                    + "--kubernetes to serve the cluster's LoadBalancer Services");
        }
        KubernetesServiceSource k8s = kubernetes ? kube.build(spec.commandLine()) : null;
        List<BackendSource> sources = new ArrayList<>();
        if (!configs.isEmpty()) {
            // Files first: a static frontend wins a bind that a Service also asks for.
            sources.add(new FileBackendSource(configs));
        }
        if (k8s != null) {
            sources.add(k8s);
            observability.watchState(k8s.name(), () -> k8s.watchState().name());
        }
        return sources;
    }

    /**
     * Whether every source knows its whole configuration at start. Only then does an empty first
     * read mean a mistake; a dynamic source (Kubernetes) may rightly start with nothing.
     */
    private boolean everySourceIsStatic() {
        return !kubernetes;
    }
}

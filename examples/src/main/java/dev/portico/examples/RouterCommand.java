package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.EngineStatus;
import dev.portico.discovery.file.FileBackendSource;
import java.nio.file.Path;
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
 * and Portico's extensions), applying every edit live, until SIGTERM or Ctrl-C.
 *
 * <p>"No usable configuration", which ends the start with exit code 2, is precisely: no source was
 * given (no {@code -c}), or the first read of the files yields no frontend at all because every
 * file is missing, invalid or empty. A configuration whose frontends are all defined but cannot
 * listen yet (address in use, interface down) is usable: the engine retries those listeners every
 * few seconds, and each failure is logged. Files that are missing or invalid next to good ones are
 * reported and watched; they join as soon as they are good.
 */
@Command(name = "router",
        mixinStandardHelpOptions = true,
        versionProvider = Portico.Version.class,
        sortOptions = false,
        description = {
                "Runs the proxy: listens on the frontends the config files define and forwards each connection "
                        + "to one of their backends. Edits to the files are applied live, without dropping "
                        + "connections. SIGTERM or Ctrl-C stops it after draining open connections.",
                ""
        },
        footer = {
                "",
                "Exit status: 0 after SIGTERM/Ctrl-C; 2 for bad flags or no usable configuration (no -c, or no "
                        + "frontend in any file); 1 when the environment refuses (transport unavailable, unexpected "
                        + "error).",
                "",
                "Example:  portico router -c /etc/portico",
        })
final class RouterCommand implements Callable<Integer> {

    private final Logger log = Logging.logger("router");

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", split = ",", splitSynopsisLabel = ",",
            description = "A YAML config file or a directory of *.yaml/*.yml files, watched and reloaded "
                    + "live. Repeatable; a comma-separated list works too, as in l4proxy.")
    List<Path> configs = new ArrayList<>();

    // Sources other than files (Kubernetes, issue 4) add their option mixins here and a branch in
    // sources(); everything after sources() is shared.

    @Mixin
    EngineOptions engine;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws InterruptedException {
        List<BackendSource> sources = sources();
        if (sources.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "no configuration: pass -c FILE (a YAML file or a "
                    + "directory of them), e.g. 'portico router -c portico.yaml'; to see Portico work without "
                    + "one, try 'portico demo'");
        }
        log.info("portico {} router starting; config: {}", Portico.version(),
                configs.stream().map(Path::toString).collect(Collectors.joining(", ")));
        ProxyRuntime runtime;
        try {
            runtime = ProxyRuntime.start(log, engine, sources);
        } catch (ProxyRuntime.StartupException e) {
            log.error("{}", e.getMessage());
            return e.exitCode();
        }
        int frontends = runtime.coordinator().current().frontends().size();
        if (frontends == 0 && everySourceIsStatic()) {
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
        List<BackendSource> sources = new ArrayList<>();
        if (!configs.isEmpty()) {
            sources.add(new FileBackendSource(configs));
        }
        return sources;
    }

    /**
     * Whether every source knows its whole configuration at start. Only then does an empty first
     * read mean a mistake; a dynamic source (Kubernetes) may rightly start with nothing.
     */
    private boolean everySourceIsStatic() {
        return true;
    }
}

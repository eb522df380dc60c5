package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.Conflict;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;
import dev.portico.discovery.file.FileBackendSource;
import dev.portico.discovery.kubernetes.KubernetesServiceSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code portico check}: what {@code nginx -t} and {@code haproxy -c} are to those daemons. Reads
 * the files exactly as {@code router} would, merges them as the router does (so a bind two files
 * both claim is reported), prints every problem and binds nothing. It takes the router's flags, so
 * a unit's {@code ExecStartPre=} can repeat the {@code ExecStart=} line with {@code check}.
 */
@Command(name = "check",
        mixinStandardHelpOptions = true,
        versionProvider = Portico.Version.class,
        sortOptions = false,
        description = {
                "Checks the configuration files without starting anything: prints every problem as "
                        + "FILE:LINE:COLUMN: MESSAGE, and conflicts between files, then a summary. Takes the "
                        + "same flags as 'router'; the Kubernetes flags are checked for their syntax only (the "
                        + "cluster is not contacted).",
                ""
        },
        footer = {
                "",
                "Exit status: 0 when the configuration is good; 2 when it is not (a problem, a missing file, no "
                        + "frontend at all without --kubernetes) or for bad flags.",
                "",
                "Example:   portico check -c /etc/portico",
        })
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", split = ",", splitSynopsisLabel = ",",
            description = "A YAML config file or a directory of *.yaml/*.yml files, as for 'router'. Repeatable.")
    List<Path> configs = new ArrayList<>();

    @Option(names = "--allow-empty", description = "As for 'router': no frontend at all is not a problem.")
    boolean allowEmpty;

    @Option(names = "--kubernetes", description = "Accepted as for 'router'; its flags are checked for syntax only.")
    boolean kubernetes;

    @Mixin
    KubernetesOptions kube;

    @Mixin
    EngineOptions engine;

    @Mixin
    ObservabilityOptions observability;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() {
        List<String> kubeFlags = KubernetesOptions.given(spec.commandLine().getParseResult());
        if (!kubernetes && !kubeFlags.isEmpty()) {
            throw new ParameterException(spec.commandLine(), kubeFlags.get(0) + " is a Kubernetes flag: add "
                    + "--kubernetes, as for 'router'");
        }
        if (configs.isEmpty() && !kubernetes) {
            throw new ParameterException(spec.commandLine(), "nothing to check: pass -c FILE (a YAML file or a "
                    + "directory of them), e.g. 'portico check -c /etc/portico'");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> problems = new ArrayList<>();
        int frontends = 0;
        if (!configs.isEmpty()) {
            Recorder recorder = new Recorder();
            FileBackendSource files = new FileBackendSource(configs);
            try {
                // start() returns once the files have been read and reported.
                files.start(recorder);
            } finally {
                files.close();
            }
            recorder.errors.forEach(e -> problems.add(LoggingEvents.describe(e)));
            Snapshot read = recorder.last == null ? new Snapshot(files.name(), List.of()) : recorder.last;
            List<Conflict> conflicts = read.conflicts();
            for (Conflict c : conflicts) {
                problems.add("conflict: " + c);
            }
            // Within one source each conflict drops exactly one frontend, its loser.
            frontends = read.frontends().size() - conflicts.size();
            if (frontends == 0 && problems.isEmpty() && !kubernetes && !allowEmpty) {
                problems.add(paths() + ": no frontend defined (add a 'frontends:' entry with 'bind' and "
                        + "'backends'); the router would not start");
            }
        }
        if (kubernetes) {
            // Checks the flags' values and reads the kubeconfig; contacts nothing.
            try (KubernetesServiceSource k8s = kube.build(spec.commandLine())) {
                err.println("note: the Kubernetes flags are valid; the cluster's Services are not checked");
            }
        }
        problems.forEach(err::println);
        String summary = fileCount() + " file(s), " + frontends + " frontend(s)";
        if (problems.isEmpty()) {
            out.println(summary + ": OK");
            out.flush();
            err.flush();
            return 0;
        }
        err.println(summary + ": " + problems.size() + " problem(s)");
        err.flush();
        return Portico.EXIT_USAGE;
    }

    private String paths() {
        return configs.stream().map(Path::toString).collect(Collectors.joining(", "));
    }

    /** The files the paths name: a directory counts its *.yaml/*.yml entries, a missing path none. */
    private int fileCount() {
        int n = 0;
        for (Path p : configs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> entries = Files.list(p)) {
                    n += (int) entries.filter(e -> {
                        String name = e.getFileName().toString();
                        return (name.endsWith(".yaml") || name.endsWith(".yml")) && !name.startsWith(".");
                    }).count();
                } catch (IOException e) {
                    // The source reported the unreadable directory already.
                }
            } else if (Files.exists(p)) {
                n++;
            }
        }
        return n;
    }

    /** What the file source reported on its first read. */
    private static final class Recorder implements BackendSource.Listener {
        final List<SourceError> errors = new CopyOnWriteArrayList<>();
        volatile Snapshot last;

        @Override
        public void onSnapshot(Snapshot snapshot) {
            last = snapshot;
        }

        @Override
        public void onError(SourceError error) {
            errors.add(error);
        }

        @Override
        public void onRecovered(String source, String subject) {
            errors.removeIf(e -> subject == null || e.subject().equals(subject));
        }
    }
}

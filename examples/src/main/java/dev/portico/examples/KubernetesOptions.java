package dev.portico.examples;

import dev.portico.api.InvalidConfigException;
import dev.portico.discovery.kubernetes.KubernetesServiceSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The flags that select and place Kubernetes Services, shared by {@code router --kubernetes} and
 * {@code announce}. They are checked by {@link KubernetesServiceSource.Builder#build()}; a bad value
 * is a usage error (exit 2) with the source's message, which names the flag.
 */
public final class KubernetesOptions {

    /** Every flag of this mixin, for "given without --kubernetes" checks. */
    static final List<String> FLAGS = List.of("--kubeconfig", "--context", "--namespace", "--label-selector",
            "--bind", "--expose", "--default-class");

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "kubeconfig file. Without it, as kubectl: $KUBECONFIG, ~/.kube/config, else the "
                    + "in-cluster service account.")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "NAME",
            description = "kubeconfig context to use instead of its current-context.")
    String context;

    @Option(names = "--namespace", paramLabel = "NS", split = ",", splitSynopsisLabel = ",",
            description = "Watch Services in this namespace only. Repeatable (or comma-separated); "
                    + "default: all namespaces.")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--label-selector", paramLabel = "SEL",
            description = "Only Services whose labels match, in Kubernetes syntax: "
                    + "'a=b,c!=d,e in (f,g),!h'. Default: every Service.")
    String labelSelector;

    @Option(names = "--bind", paramLabel = "ADDR",
            description = "Address the Services are exposed on, without a port (each Service port is used): "
                    + "@eth1, 192.168.1.2, [fd00::1]. As service-announcer's flag: it defines the exposure "
                    + "class 'default'. Without --bind and --expose: every address.")
    String bind;

    @Option(names = "--expose", paramLabel = "NAME=ADDR",
            description = "An exposure class: ADDR (written as for --bind) is where the Services are "
                    + "exposed whose annotation portico.dev/exposure names NAME. Repeatable: "
                    + "--expose internal=@eth1 --expose external=@eth2.")
    List<String> expose = new ArrayList<>();

    @Option(names = "--default-class", paramLabel = "NAME",
            description = "The exposure class of the Services that have no annotation "
                    + "portico.dev/exposure. Default: 'default' when --bind is given; otherwise such Services "
                    + "are not exposed once any --expose is given.")
    String defaultClass;

    /** The flags of this mixin that the command line gave. */
    static List<String> given(CommandLine.ParseResult parsed) {
        List<String> out = new ArrayList<>();
        for (String flag : FLAGS) {
            if (parsed.hasMatchedOption(flag)) {
                out.add(flag);
            }
        }
        return out;
    }

    /**
     * Builds the source; does not contact the API server.
     *
     * @param cmd for usage errors
     * @throws ParameterException for any bad value, with a message naming the flag
     */
    KubernetesServiceSource build(CommandLine cmd) {
        checkClassNames(cmd);
        KubernetesServiceSource.Builder b = KubernetesServiceSource.builder()
                .kubeconfig(kubeconfig)
                .context(context)
                .namespaces(namespaces)
                .labelSelector(labelSelector)
                .defaultClass(defaultClass);
        try {
            if (bind != null) {
                b.bind(bind);
            }
            for (String spec : expose) {
                b.expose(spec);
            }
            return b.build();
        } catch (InvalidConfigException e) {
            throw new ParameterException(cmd, withFlagNames(e.getMessage()), e);
        }
    }

    /** The builder's setting names (each message starts with one) and the flags that set them. */
    private static final Map<String, String> FLAG_OF_SETTING = Map.of(
            "namespaces: ", "--namespace ",
            "kubeconfig '", "--kubeconfig '",
            "label selector '", "--label-selector '",
            "bind '", "--bind '",
            "exposure class ", "--expose ");

    /** A source's message as a command-line user reads it: the flag in place of the setting's name. */
    static String withFlagNames(String message) {
        for (Map.Entry<String, String> e : FLAG_OF_SETTING.entrySet()) {
            if (message.startsWith(e.getKey())) {
                return e.getValue() + message.substring(e.getKey().length());
            }
        }
        return "--expose: " + message; // the class set as a whole: duplicates, an unknown default class
    }

    /** Duplicate and unknown class names, which the source would report without naming a flag. */
    private void checkClassNames(CommandLine cmd) {
        Set<String> names = new LinkedHashSet<>();
        if (bind != null) {
            names.add(KubernetesServiceSource.DEFAULT_EXPOSURE_CLASS);
        }
        for (String spec : expose) {
            int eq = spec.indexOf('=');
            String name = eq < 0 ? spec.strip() : spec.substring(0, eq).strip();
            if (!names.add(name)) {
                throw new ParameterException(cmd, "--expose '" + spec + "': exposure class '" + name
                        + "' is defined twice"
                        + (name.equals(KubernetesServiceSource.DEFAULT_EXPOSURE_CLASS) && bind != null
                        ? " (--bind defines the class 'default')" : ""));
            }
        }
        if (defaultClass != null && !names.contains(defaultClass)) {
            throw new ParameterException(cmd, "--default-class '" + defaultClass + "' is not an exposure class "
                    + (names.isEmpty() ? "(define one with --expose NAME=ADDR or --bind ADDR)"
                    : "(defined: " + String.join(", ", names) + ")"));
        }
    }

    /** One line for the start log: where the built source puts Services. */
    String describeExposure(KubernetesServiceSource source) {
        List<String> parts = new ArrayList<>();
        if (bind != null) {
            parts.add(KubernetesServiceSource.DEFAULT_EXPOSURE_CLASS + "=" + (bind.isBlank() ? "*" : bind.strip()));
        }
        expose.forEach(e -> parts.add(e.strip()));
        if (parts.isEmpty()) {
            return "every address (no --bind or --expose)";
        }
        String dflt = source.defaultExposureClass().orElse(null);
        return String.join(", ", parts) + "; Services without a portico.dev/exposure annotation: "
                + (dflt == null ? "not exposed (no --bind or --default-class)" : "class " + dflt);
    }
}

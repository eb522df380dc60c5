package dev.portico.examples;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code -v}/{@code -vv}/{@code -q}, accepted before or after the subcommand. Every command mixes
 * this in; the values are kept on the top command's instance, which {@link Logging} reads once the
 * command line is parsed (picocli's documented pattern for a global log-level option).
 */
public final class LoggingOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec mixee;

    private int verbosity;
    private boolean quiet;

    @Option(names = {"-v", "--verbose"},
            description = "More log detail: -v debug (and libraries' info), -vv trace (and libraries' debug).")
    void setVerbose(boolean[] flags) {
        top().verbosity = flags.length;
    }

    @Option(names = {"-q", "--quiet"}, description = "Log warnings and errors only.")
    void setQuiet(boolean value) {
        top().quiet = value;
    }

    private LoggingOptions top() {
        Object root = mixee.root().userObject();
        return root instanceof Portico p && p.logging != null ? p.logging : this;
    }

    /** The verbosity asked for: -1 quiet, 0 normal, 1 debug, 2 trace; {@code -q} wins over {@code -v}. */
    int level() {
        return quiet ? -1 : Math.min(verbosity, 2);
    }
}

package dev.portico.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code portico} launcher: {@code portico router -c FILE} runs the router, {@code portico check
 * -c FILE} checks its configuration without running it, {@code portico demo} shows it working with nothing to configure, {@code portico announce} stands in for l4proxy's
 * service-announcer. A new subcommand is one class added to
 * {@code subcommands} below, mixing in {@link LoggingOptions} (and {@link EngineOptions} if it runs
 * an engine).
 *
 * <p>Exit codes: 0 after {@code --help}, {@code --version} or a SIGTERM/Ctrl-C shutdown; 1 when the
 * environment refuses (port taken, transport not available, unexpected error); 2 when the command
 * line or the configuration is unusable.
 */
@Command(name = "portico",
        mixinStandardHelpOptions = true,
        versionProvider = Portico.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {
                "Layer-4 (TCP) proxy with live service discovery.",
                "",
                "Start with 'portico demo' to see it work, then 'portico router -c portico.yaml'."
        },
        subcommands = {RouterCommand.class, CheckCommand.class, DemoCommand.class, AnnounceCommand.class,
                CommandLine.HelpCommand.class})
public final class Portico implements Callable<Integer> {

    /** Usage problems: bad flags, no configuration. */
    public static final int EXIT_USAGE = 2;
    /** The environment refused: port taken, transport unavailable, unexpected failure. */
    public static final int EXIT_FAILURE = 1;

    @Mixin
    LoggingOptions logging;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        chooseLogBackend();
        int status = commandLine().execute(args);
        Logging.flush();
        System.exit(status);
    }

    /**
     * The launcher's own small log backend ({@link LogProvider}), unless the operator brings a
     * logback configuration ({@code -Dlogback.configurationFile}): then logback, which the jar
     * carries for that and loads only then. SLF4J reads {@code slf4j.provider} at its first use,
     * which is after this; with it set, SLF4J does not warn about two providers on the class path.
     */
    static void chooseLogBackend() {
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            // Else SLF4J says at every start which provider slf4j.provider named.
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", System.getProperty("logback.configurationFile") != null
                    ? "ch.qos.logback.classic.spi.LogbackServiceProvider" : LogProvider.class.getName());
        }
    }

    /** The configured command line, for {@link #main} and for tests that parse in-process. */
    static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Portico());
        cmd.setParameterExceptionHandler(Portico::usageError);
        cmd.setExecutionStrategy(parseResult -> {
            Logging.configure(((Portico) cmd.getCommand()).logging.level());
            return new CommandLine.RunLast().execute(parseResult);
        });
        cmd.setExitCodeExceptionMapper(e -> EXIT_FAILURE);
        return cmd;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing COMMAND: 'router' runs the proxy, 'demo' shows it working, "
                + "'announce' writes an l4proxy file from Kubernetes Services");
    }

    /** Prints a usage error as one line plus a pointer to help, instead of the whole usage text. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage()));
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The Maven project version, filtered into {@code version.properties} at build time. */
    static String version() {
        return buildInfo("version");
    }

    /**
     * A fact the build filtered into {@code version.properties} ({@code version}, {@code commit},
     * {@code built}); {@code unknown} where the build could not tell, as outside a git checkout.
     */
    static String buildInfo(String key) {
        Properties p = new Properties();
        try (InputStream in = Portico.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // An unknown version is not worth failing over.
        }
        String value = p.getProperty(key, "").trim();
        // An unfiltered placeholder means the build did not set the property.
        return value.isEmpty() || value.startsWith("${") ? "unknown" : value;
    }

    /** {@code --version}: the Portico version and the runtime it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{
                    "portico " + version() + " (commit " + buildInfo("commit") + ", built " + buildInfo("built") + ")",
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                            + System.getProperty("os.name") + " " + System.getProperty("os.arch")
            };
        }
    }
}

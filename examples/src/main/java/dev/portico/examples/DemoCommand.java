package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.EngineStatus;
import dev.portico.api.EngineStatus.FrontendStatus;
import dev.portico.api.Frontend;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code portico demo}: an in-process echo server behind a frontend on 127.0.0.1:1313, so a newcomer
 * sees bytes go through Portico with nothing to configure.
 */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Portico.Version.class,
        sortOptions = false,
        description = {
                "Starts an echo server and a frontend on 127.0.0.1:1313 that forwards to it, and prints how to "
                        + "try it (nc 127.0.0.1 1313). Runs until Ctrl-C.",
                ""
        },
        footer = {"", "Exit status: 0 after Ctrl-C/SIGTERM; 1 if the port is taken; 2 for bad flags."})
final class DemoCommand implements Callable<Integer> {

    private final Logger log = Logging.logger("demo");

    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "1313",
            description = "Port on 127.0.0.1 for the demo frontend (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Mixin
    EngineOptions engine;

    @Mixin
    ObservabilityOptions observability;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--port': " + port
                    + " is not a port (0-65535)");
        }
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        EchoServer echo = EchoServer.start(loopback, 0);
        Frontend frontend = Frontend.builder(BindAddress.host("127.0.0.1", port))
                .name("demo")
                .backend(new Backend("127.0.0.1", echo.port()))
                .build();
        ProxyRuntime runtime;
        try {
            runtime = ProxyRuntime.start(log, engine, observability,
                    List.of(BackendSource.fixed("demo", List.of(frontend))), ProxyRuntime.FIRST_APPLY_WAIT);
        } catch (ProxyRuntime.StartupException e) {
            echo.close();
            log.error("{}", e.getMessage());
            return e.exitCode();
        }
        FrontendStatus status = runtime.engine().status().frontend("demo").orElse(null);
        if (status == null || status.state() != EngineStatus.ListenerState.LISTENING) {
            runtime.stopNow();
            echo.close();
            PrintWriter err = spec.commandLine().getErr();
            err.println("portico demo: cannot listen on 127.0.0.1:" + port + ": "
                    + (status == null ? "not started" : status.error()));
            err.println("Is another program (or another demo) using port " + port + "? Pick another one: "
                    + "portico demo --port " + (port == 65535 ? 1314 : port + 1));
            err.flush();
            return Portico.EXIT_FAILURE;
        }
        int bound = status.boundAddress().getPort();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%nPortico demo is running:%n%n");
        out.printf("  echo server  127.0.0.1:%d  (an in-process backend that sends back what it gets)%n", echo.port());
        out.printf("  frontend     127.0.0.1:%d  -> 127.0.0.1:%d%n%n", bound, echo.port());
        out.printf("Try it from another terminal:%n%n");
        out.printf("  nc 127.0.0.1 %d%n%n", bound);
        out.printf("Type a line and press Enter: it goes through Portico to the echo server and back.%n");
        out.printf("Stop with Ctrl-C. Next: 'portico router --help' to run the router with a config file.%n%n");
        out.flush();
        runtime.runUntilStopped(engine.drainTimeout, echo::close);
        return 0; // Not reached: the shutdown hook ends the process.
    }
}

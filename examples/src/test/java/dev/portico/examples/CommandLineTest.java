package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.netty.Transport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line parsed in-process: flags, their values and usage errors. */
class CommandLineTest {

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = Portico.commandLine();
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        return cmd.execute(args);
    }

    private static int verbosity(String... args) {
        CommandLine cmd = Portico.commandLine();
        cmd.parseArgs(args);
        return ((Portico) cmd.getCommand()).logging.level();
    }

    @Test
    void loggingFlagsWorkBeforeAndAfterTheSubcommand() {
        assertThat(verbosity("router", "-c", "a.yaml")).isZero();
        assertThat(verbosity("-v", "router", "-c", "a.yaml")).isEqualTo(1);
        assertThat(verbosity("router", "-c", "a.yaml", "-v")).isEqualTo(1);
        assertThat(verbosity("router", "-vv", "-c", "a.yaml")).isEqualTo(2);
        assertThat(verbosity("demo", "-v", "-v", "-v")).isEqualTo(2);
        assertThat(verbosity("-q", "demo")).isEqualTo(-1);
        assertThat(verbosity("demo", "-q", "-v")).isEqualTo(-1);
    }

    @Test
    void routerFlagsAreRead() {
        CommandLine cmd = Portico.commandLine();
        CommandLine.ParseResult r = cmd.parseArgs("router", "-c", "a.yaml", "--config", "conf.d", "-c", "b.yaml,c.yaml",
                "--transport", "io_uring", "--io-threads", "3", "--drain-timeout", "1m30s");
        RouterCommand router = (RouterCommand) r.subcommand().commandSpec().userObject();
        assertThat(router.configs).extracting(Object::toString).containsExactly("a.yaml", "conf.d", "b.yaml", "c.yaml");
        assertThat(router.engine.transport).isEqualTo(Transport.IO_URING);
        assertThat(router.engine.ioThreads).isEqualTo(3);
        assertThat(router.engine.drainTimeout).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void routerDefaults() {
        CommandLine cmd = Portico.commandLine();
        CommandLine.ParseResult r = cmd.parseArgs("router");
        RouterCommand router = (RouterCommand) r.subcommand().commandSpec().userObject();
        assertThat(router.configs).isEmpty();
        assertThat(router.engine.transport).isEqualTo(Transport.AUTO);
        assertThat(router.engine.ioThreads).isZero();
        assertThat(router.engine.drainTimeout).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void routerWithoutConfigIsAUsageError() {
        assertThat(run("router")).isEqualTo(2);
        assertThat(err.toString()).contains("no configuration: pass -c FILE", "portico demo");
    }

    @Test
    void unknownOptionIsAUsageErrorNamingIt() {
        assertThat(run("router", "--nope")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--nope'", "portico router --help");
    }

    @Test
    void badDurationIsAUsageErrorNamingTheFlag() {
        assertThat(run("router", "-c", "a.yaml", "--drain-timeout", "soon")).isEqualTo(2);
        assertThat(err.toString()).contains("--drain-timeout", "'soon' is not a duration");
    }

    @Test
    void badTransportIsAUsageErrorListingTheChoices() {
        assertThat(run("demo", "--transport", "udp")).isEqualTo(2);
        assertThat(err.toString()).contains("--transport", "auto, epoll, io_uring, nio");
    }

    @Test
    void negativeIoThreadsIsAUsageError() {
        assertThat(run("router", "-c", "a.yaml", "--io-threads", "-1")).isEqualTo(2);
        assertThat(err.toString()).contains("--io-threads");
    }

    @Test
    void missingCommandIsAUsageError() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("missing COMMAND");
    }

    @Test
    void durationsAreReadAsConfigFilesWriteThem() {
        assertThat(Durations.parse("30")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("PT2S")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Durations.parse("-5s")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> Durations.parse("5 s")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> Durations.parse("PT-5S")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void durationsAreWrittenBackShort() {
        assertThat(Durations.format(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    }

    @Test
    void logLinesNameTheirComponentShortly() {
        assertThat(ComponentConverter.component("portico.router")).isEqualTo("router");
        assertThat(ComponentConverter.component("dev.portico.netty.FrontendRuntime")).isEqualTo("engine");
        assertThat(ComponentConverter.component("dev.portico.discovery.file.FileBackendSource")).isEqualTo("file");
        assertThat(ComponentConverter.component("io.netty.util.internal.PlatformDependent")).isEqualTo("netty");
        assertThat(ComponentConverter.component("com.example.Thing")).isEqualTo("Thing");
    }
}

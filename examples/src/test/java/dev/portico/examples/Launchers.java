package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Starts the built launcher jar as separate processes, with stdout and stderr captured to files.
 * Kills what is still running after each test and prints the captured output of a failed test.
 */
final class Launchers implements AfterEachCallback, TestWatcher {

    static final Path JAR = Path.of(System.getProperty("portico.jar", "target/portico.jar")).toAbsolutePath();
    /** How long a launched router may take to start serving, on a machine busy with other builds. */
    static final Duration START = Duration.ofSeconds(30);
    /** How long a running router may take to act on a change (a file, a Service, a connection). */
    static final Duration CHANGE = Duration.ofSeconds(15);
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    private final List<Launched> started = new ArrayList<>();

    /** {@code java -jar portico.jar ARGS}. */
    Launched portico(String... args) {
        return portico(Map.of(), args);
    }

    /** {@code java -jar portico.jar ARGS} with these variables added to the environment. */
    Launched portico(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(JAVA.toString(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return start(cmd, env);
    }

    /** {@code java JVM_FLAGS -jar portico.jar ARGS}. */
    Launched porticoWithJvmFlags(List<String> jvmFlags, String... args) {
        List<String> cmd = new ArrayList<>(List.of(JAVA.toString()));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return start(cmd, Map.of());
    }

    /** {@code java -cp portico.jar MAIN ARGS}. */
    Launched main(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(JAVA.toString(), "-cp", JAR.toString(), mainClass));
        cmd.addAll(List.of(args));
        return start(cmd, Map.of());
    }

    private Launched start(List<String> cmd, Map<String, String> env) {
        assertThat(JAR).as("the launcher jar; run 'mvn verify' so it is built first").exists();
        try {
            Path out = Files.createTempFile("portico-", ".stdout");
            Path err = Files.createTempFile("portico-", ".stderr");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            // A test run under systemd must not notify the test's own unit.
            pb.environment().keySet().removeAll(List.of("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"));
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            Launched l = new Launched(cmd, p, out, err);
            started.add(l);
            return l;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (Launched l : started) {
            if (l.process.isAlive()) {
                l.process.destroyForcibly();
            }
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        for (Launched l : started) {
            System.out.println("==== " + String.join(" ", l.command));
            System.out.println("---- stdout:");
            System.out.println(l.stdout());
            System.out.println("---- stderr:");
            System.out.println(l.stderr());
        }
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        started.forEach(Launched::deleteLogs);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        started.forEach(Launched::deleteLogs);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
    }

    /** One launched process. */
    static final class Launched {
        final List<String> command;
        final Process process;
        private final Path out;
        private final Path err;

        Launched(List<String> command, Process process, Path out, Path err) {
            this.command = List.copyOf(command);
            this.process = process;
            this.out = out;
            this.err = err;
        }

        String stdout() {
            return read(out);
        }

        String stderr() {
            return read(err);
        }

        /** Waits for the process to end by itself and returns its exit code. */
        int exitCode(Duration within) throws InterruptedException {
            boolean ended = process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(ended).as("process ended within " + within + ": " + command).isTrue();
            return process.exitValue();
        }

        /** Sends a signal by name ({@code HUP}), as {@code kill -HUP} does. */
        void signal(String name) throws IOException, InterruptedException {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            assertThat(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -" + name).isTrue();
        }

        /** SIGTERM, as systemd stops a service, then the exit code. */
        int terminate(Duration within) throws InterruptedException {
            process.destroy();
            return exitCode(within);
        }

        private static String read(Path p) {
            try {
                return Files.readString(p, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(cannot read " + p + ": " + e + ")";
            }
        }

        void deleteLogs() {
            try {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            } catch (IOException e) {
                // Temp files; the OS cleans up eventually.
            }
        }
    }
}

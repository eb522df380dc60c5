package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the shipped start script (examples/src/main/dist/portico, installed as /usr/bin/portico)
 * asks of the JVM. It runs the real script with a stand-in {@code java} that prints its arguments.
 */
class StartScriptTest {
    private static final Path SCRIPT = Path.of("src/main/dist/portico").toAbsolutePath();

    @TempDir
    Path dir;

    /** Runs the script with {@code JAVA_OPTS} set (or unset when null); returns the java arguments. */
    private List<String> javaArguments(String javaOpts) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = Files.writeString(dir.resolve("portico.jar"), "not a jar: the stand-in java never opens it");
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), "router", "-c", "/etc/portico");
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().put("PORTICO_JAR", jar.toString());
        if (javaOpts == null) {
            pb.environment().remove("JAVA_OPTS");
        } else {
            pb.environment().put("JAVA_OPTS", javaOpts);
        }
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().toList();
    }

    @Test
    void anOutOfMemoryErrorEndsTheProcessSoSystemdRestartsIt() throws Exception {
        // A JVM that survives an OutOfMemoryError in one thread runs on half-broken; ending it lets
        // Restart=on-failure bring a clean one back.
        assertThat(javaArguments(null)).contains("-XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void theOutOfMemoryExitHoldsWhenTheOperatorSetsTheirOwnJvmFlags() throws Exception {
        List<String> args = javaArguments("-Xmx256m");
        assertThat(args).contains("-XX:+ExitOnOutOfMemoryError", "-Xmx256m");
        assertThat(args.subList(args.indexOf("-jar"), args.size()))
                .containsExactly("-jar", dir.resolve("portico.jar").toString(), "router", "-c", "/etc/portico");
    }
}

package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start script ({@code src/main/dist/portico}) with its class-data archive: written when the
 * router stops, used at the next start, and a damaged one costs nothing but the speed-up.
 */
class StartScriptIT {

    private static final Path SCRIPT = Path.of("src/main/dist/portico").toAbsolutePath();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
    }

    @Test
    void archiveIsWrittenAtTheFirstStopUsedAtTheNextStartAndADamagedOneIsSkippedSilently() throws Exception {
        Path cache = dir.resolve("cache");
        int port = Net.freePort();
        Path config = dir.resolve("portico.yaml");
        Files.writeString(config, "apiVersion: v1\nfrontends:\n  - bind: 127.0.0.1:" + port + "\n    backends:\n"
                + "      - address: 127.0.0.1:" + Net.freePort() + "\n");

        Process first = start(cache, config, "first");
        await().atMost(WAIT).until(() -> Net.accepts(port));
        stop(first);
        List<Path> archives = archives(cache);
        assertThat(archives).as("archive written when the router stopped").hasSize(1);
        Path archive = archives.get(0);
        assertThat(archive.getFileName().toString()).startsWith("portico-router-");

        Process second = start(cache, config, "second");
        // Until bash has exec'd the JVM, the process's arguments are the script's.
        await().atMost(WAIT).untilAsserted(() -> assertThat(second.info().arguments().orElse(new String[0]))
                .anyMatch(a -> a.equals("-XX:SharedArchiveFile=" + archive) || a.equals("-XX:AOTCache=" + archive)));
        await().atMost(WAIT).until(() -> Net.accepts(port));
        stop(second);

        Files.write(archive, new byte[4096]);
        Process damaged = start(cache, config, "damaged");
        await().atMost(WAIT).until(() -> Net.accepts(port));
        stop(damaged);
        assertThat(Files.readString(dir.resolve("damaged.stdout"), StandardCharsets.UTF_8))
                .as("the JVM's archive warnings stay off stdout").doesNotContain("[warning]");
    }

    private Process start(Path cache, Path config, String name) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(SCRIPT.toString(), "router", "--no-access-log", "-c", config.toString())
                .redirectOutput(dir.resolve(name + ".stdout").toFile())
                .redirectError(dir.resolve(name + ".stderr").toFile());
        pb.environment().put("PORTICO_JAR", Launchers.JAR.toString());
        pb.environment().put("PORTICO_CACHE_DIR", cache.toString());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("JAVA_OPTS");
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** SIGTERM, as systemd stops the service; the JVM writes the archive on its way out. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        assertThat(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("stopped within " + WAIT).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    private static List<Path> archives(Path cache) throws IOException {
        if (!Files.isDirectory(cache)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(cache)) {
            return files.filter(f -> !f.getFileName().toString().endsWith(".config")).toList();
        }
    }
}

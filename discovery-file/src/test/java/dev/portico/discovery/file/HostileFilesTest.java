package dev.portico.discovery.file;

import dev.portico.api.fixtures.RecordingListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.portico.api.SourceError;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that are not config files, or too big to be: each is refused with its place and what is
 * wrong, never blocks or exhausts the reload thread, and never keeps a good file next to it from
 * being applied and re-applied.
 */
class HostileFilesTest {

    @TempDir
    Path dir;

    private final List<FileBackendSource> sources = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final RecordingListener listener = new RecordingListener();

    @AfterEach
    void close() throws Exception {
        sources.forEach(FileBackendSource::close);
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10));
    }

    private FileBackendSource start(Path... paths) {
        return start(new FileBackendSource(List.of(paths)));
    }

    private FileBackendSource start(FileBackendSource source) {
        sources.add(source);
        // start() waits for the first read; a reader that blocks would hang here, so bound it.
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> source.start(listener));
        return source;
    }

    private static String config(int port, String backend) {
        return "apiVersion: v1\nfrontends:\n  - bind: :" + port + "\n    backends:\n      - address: " + backend + "\n";
    }

    private static Path fifo(Path path) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        } catch (IOException e) {
            assumeThat(false).as("mkfifo is not available: " + e).isTrue();
            throw e;
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assumeThat(p.exitValue()).as("mkfifo works here").isZero();
        return path;
    }

    private SourceError errorAt(String place) {
        return listener.errors.stream().filter(e -> e.place().equals(place)).findFirst().orElse(null);
    }

    private void awaitError(Path file, String message) {
        eventually().untilAsserted(() -> assertThat(listener.errorTexts()).contains(file + ": " + message));
    }

    @Test
    void fifoNamedAsAFileIsRefusedAndTheGoodFileBesideItKeepsReloading() throws Exception {
        Path pipe = fifo(dir.resolve("pipe.yaml"));
        Path good = Files.writeString(dir.resolve("good.yaml"), config(80, "10.0.0.1:80"));

        FileBackendSource source = start(new FileBackendSource("fifo", List.of(pipe, good)));

        assertThat(errorAt(pipe.toString())).isNotNull()
                .extracting(SourceError::message).isEqualTo("is a FIFO, not a regular file");
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80");
        Files.writeString(good, config(80, "10.0.0.2:80"));
        eventually().untilAsserted(() -> assertThat(listener.served()).containsExactly(":80=10.0.0.2:80"));

        assertTimeoutPreemptively(Duration.ofSeconds(30), source::close);
        eventually().untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("portico-file-reload-fifo") && t.isAlive()));
    }

    @Test
    void devicesThroughSymlinksAreRefusedNamingWhatTheyAre() throws IOException {
        assumeThat(Path.of("/dev/zero")).exists();
        Path zero = Files.createSymbolicLink(dir.resolve("zero.yaml"), Path.of("/dev/zero"));
        Path nul = Files.createSymbolicLink(dir.resolve("null.yaml"), Path.of("/dev/null"));

        start(zero, nul);

        assertThat(errorAt(zero.toString()).message()).isEqualTo("is a character device, not a regular file");
        assertThat(errorAt(nul.toString()).message()).isEqualTo("is a character device, not a regular file");
    }

    @Test
    void socketAndDirectoryInAConfigDirectoryAreRefusedAndTheRestIsRead() throws IOException {
        Path sock = dir.resolve("s.yaml");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        resources.add(server);
        server.bind(UnixDomainSocketAddress.of(sock));
        Path sub = Files.createDirectory(dir.resolve("sub.yaml"));
        Files.writeString(dir.resolve("z.yaml"), config(80, "10.0.0.1:80"));

        start(dir);

        assertThat(errorAt(sock.toString()).message()).isEqualTo("is a socket, not a regular file");
        assertThat(errorAt(sub.toString()).message()).isEqualTo("is a directory, not a regular file");
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80");
    }

    @Test
    void fileReplacedByAFifoIsRefusedOnReloadAndItsLastGoodVersionKeepsServing() throws Exception {
        Path file = Files.writeString(dir.resolve("a.yaml"), config(80, "10.0.0.1:80"));
        Path other = Files.writeString(dir.resolve("b.yaml"), config(81, "10.0.0.1:81"));
        start(file, other);
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80", ":81=10.0.0.1:81");

        Files.delete(file);
        fifo(file);

        awaitError(file, "is a FIFO, not a regular file");
        Files.writeString(other, config(81, "10.0.0.2:81"));
        eventually().untilAsserted(() -> assertThat(listener.served())
                .containsExactly(":80=10.0.0.1:80", ":81=10.0.0.2:81"));
    }

    @Test
    void hugeFilesBesideAGoodOneAreRefusedWithSizeAndLimitAndTheGoodOneKeepsReloading() throws IOException {
        Path huge = dir.resolve("huge.yaml");
        Files.writeString(huge, "apiVersion: v1\nfrontends:\n" + "  - bind: 0\n".repeat(900_000));
        Path oneLine = Files.writeString(dir.resolve("line.yaml"), "# " + "x".repeat(10_000_000));
        Path good = Files.writeString(dir.resolve("z.yaml"), config(80, "10.0.0.1:80"));

        start(dir);

        assertThat(errorAt(huge.toString()).message())
                .isEqualTo(Files.size(huge) + " bytes, larger than the limit of 262144 bytes (256 KiB) for a config file");
        assertThat(errorAt(oneLine.toString()).message())
                .isEqualTo("10000002 bytes, larger than the limit of 262144 bytes (256 KiB) for a config file");
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80");
        Files.writeString(good, config(80, "10.0.0.2:80"));
        eventually().untilAsserted(() -> assertThat(listener.served()).containsExactly(":80=10.0.0.2:80"));
    }

    @Test
    void fileLongerThanItsSizeSaidIsReadOnlyUpToTheLimit() throws IOException {
        // A regular file whose size says 0 but which reads as megabytes: as a file that grows while read.
        Path kallsyms = Path.of("/proc/kallsyms");
        assumeThat(Files.isReadable(kallsyms) && Files.size(kallsyms) == 0).as("/proc/kallsyms as on Linux").isTrue();
        Path link = Files.createSymbolicLink(dir.resolve("a.yaml"), kallsyms);

        start(link);

        assertThat(listener.errorTexts()).containsExactly(link + ": reads as more than 262144 bytes, the limit for "
                + "a config file, though its size was 0 when checked");
    }

    @Test
    void fileWithALongLineIsRefusedNamingTheLine() throws IOException {
        Path file = Files.writeString(dir.resolve("a.yaml"),
                "apiVersion: v1\nfrontends: []\n# " + "x".repeat(100_000) + "\n");

        start(file);

        assertThat(listener.errorTexts()).containsExactly(file + ":3:1: line is 100002 characters long (limit 65536)");
    }

    @Test
    void frontendsAcrossFilesAreBoundedPerSource() throws IOException {
        Path a = Files.writeString(dir.resolve("a.yaml"), frontends(3000, 10000));
        Path b = Files.writeString(dir.resolve("b.yaml"), frontends(1097, 20000));

        start(a, b);

        assertThat(listener.errorTexts()).containsExactly(b + ": has 1097 frontends; with the 3000 of the other files "
                + "that is 4097, more than the limit of 4096 frontends per source");
        assertThat(listener.last().frontends()).hasSize(3000);
        Files.writeString(b, frontends(1096, 20000));
        eventually().untilAsserted(() -> assertThat(listener.last().frontends()).hasSize(4096));
    }

    @Test
    void backendsAcrossFilesAreBoundedPerSource() throws IOException {
        Path a = Files.writeString(dir.resolve("a.yaml"), backends(80, 10000));
        Path b = Files.writeString(dir.resolve("b.yaml"), backends(81, 6385));

        start(a, b);

        assertThat(listener.errorTexts()).containsExactly(b + ": has 6385 backends; with the 10000 of the other files "
                + "that is 16385, more than the limit of 16384 backends per source");
        assertThat(listener.last().frontends()).hasSize(1);
    }

    @Test
    void bytesOfFilesTakenAreBoundedPerSource() throws IOException {
        String padding = ("# " + "x".repeat(1000) + "\n").repeat(220);
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            files.add(Files.writeString(dir.resolve(i + ".yaml"), config(80 + i, "10.0.0.1:80") + padding));
        }

        start(dir);

        long size = Files.size(files.get(0));
        assertThat(listener.errorTexts()).containsExactly(files.get(4) + ": has " + size + " bytes; with the "
                + 4 * size + " of the other files that is " + 5 * size + ", more than the limit of 1048576 bytes per source");
        assertThat(listener.last().frontends()).hasSize(4);
    }

    @Test
    void networksAcrossFilesAreBoundedPerSource() throws IOException {
        StringBuilder allow = new StringBuilder("apiVersion: v1\nfrontends:\n- bind: 80\n  allow:\n");
        for (int i = 0; i < 9000; i++) {
            allow.append("  - 10.").append(i >> 8).append('.').append(i & 255).append(".0/24\n");
        }
        Path a = Files.writeString(dir.resolve("a.yaml"), allow.toString());
        Path b = Files.writeString(dir.resolve("b.yaml"), allow.toString().replace("bind: 80", "bind: 81")
                .replace("allow:", "deny:"));

        start(a, b);

        assertThat(listener.errorTexts()).containsExactly(b + ": has 9000 allow/deny/trusted networks; with the 9000 "
                + "of the other files that is 18000, more than the limit of 16384 allow/deny/trusted networks per source");
    }

    @Test
    void fileWithMoreFrontendEntriesThanTheLimitIsRefusedBeforeBuildingThem() throws IOException {
        Path a = Files.writeString(dir.resolve("a.yaml"), frontends(5000, 10000));

        start(a);

        assertThat(listener.errorTexts()).containsExactly(a + ":3:1: 5000 frontends, more than the limit of 4096 per source");
    }

    private static String frontends(int count, int firstPort) {
        StringBuilder sb = new StringBuilder("apiVersion: v1\nfrontends:\n");
        for (int i = 0; i < count; i++) {
            sb.append("- bind: ").append(firstPort + i).append('\n');
        }
        return sb.toString();
    }

    private static String backends(int port, int count) {
        StringBuilder sb = new StringBuilder("apiVersion: v1\nfrontends:\n- bind: " + port + "\n  backends:\n");
        for (int i = 0; i < count; i++) {
            sb.append("  - address: h:").append(1 + i).append('\n');
        }
        return sb.toString();
    }
}

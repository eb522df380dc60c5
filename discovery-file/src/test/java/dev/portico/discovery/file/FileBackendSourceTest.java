package dev.portico.discovery.file;

import dev.portico.api.SourceError;
import dev.portico.api.fixtures.RecordingListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBackendSourceTest {

    @TempDir
    Path dir;

    private final List<FileBackendSource> sources = new ArrayList<>();
    private final RecordingListener listener = new RecordingListener();

    @AfterEach
    void closeSources() {
        sources.forEach(FileBackendSource::close);
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10));
    }

    private FileBackendSource start(Path... paths) {
        return start(new FileBackendSource(List.of(paths)));
    }

    private FileBackendSource start(FileBackendSource source) {
        sources.add(source);
        source.start(listener);
        return source;
    }

    /** A v1 file with one frontend per {@code bind=backend,backend} spec. */
    private static String config(String... specs) {
        StringBuilder sb = new StringBuilder("apiVersion: v1\nfrontends:\n");
        for (String spec : specs) {
            String[] parts = spec.split("=", 2);
            sb.append("  - bind: ").append(parts[0]).append('\n');
            sb.append("    backends:\n");
            if (parts.length > 1 && !parts[1].isEmpty()) {
                for (String b : parts[1].split(",")) {
                    sb.append("      - address: ").append(b).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text);
    }

    private void awaitServed(String... expected) {
        eventually().untilAsserted(() -> assertThat(listener.served()).containsExactly(expected));
    }

    @Test
    void l4proxyExampleLoadsUnchanged() throws IOException {
        Path file = write(dir.resolve("l4proxy.yaml"), ConfigParserTest.l4proxyExample());

        start(file);

        assertThat(listener.errors).isEmpty();
        assertThat(listener.served()).containsExactly(
                ":80=10.0.0.102:80,10.0.0.100:80", ":443=10.0.0.102:443,10.0.0.100:443", ":22=10.0.0.101:22");
    }

    @Test
    void firstSnapshotIsDeliveredBeforeStartReturns() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));

        start(file);

        assertThat(listener.snapshots).hasSize(1);
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80");
    }

    @Test
    void snapshotsCarryTheSourceNameAndEachFrontendItsOrigin() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80", ":81="));

        start(new FileBackendSource("static", List.of(file)));

        Snapshot s = listener.last();
        assertThat(s.source()).isEqualTo("static");
        assertThat(s.frontends()).extracting(Frontend::source).containsOnly("static");
        assertThat(s.frontends()).extracting(Frontend::origin).containsExactly(file + ":3:5", file + ":6:5");
    }

    @Test
    void typoInKeyIsRejectedWithLineAndColumn() throws IOException {
        Path file = write(dir.resolve("a.yaml"), "apiVersion: v1\nfrontends:\n  - bind: :80\n    healthIntreval: 5\n");

        start(file);

        assertThat(listener.errors).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo("file");
            assertThat(e.place()).isEqualTo(file + ":4:5");
            assertThat(e.message()).isEqualTo("unknown key 'healthIntreval' (did you mean 'healthInterval'?)");
        });
        assertThat(listener.served()).isEmpty();
    }

    @Test
    void invalidEditKeepsLastGoodVersionServing() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        start(file);
        int published = listener.snapshots.size();

        write(file, config(":80=10.0.0.1:80", ":81=10.0.0.1:99999"));

        eventually().untilAsserted(() -> assertThat(listener.errorTexts())
                .containsExactly(file + ":8:18: backend address '10.0.0.1:99999': port 99999 is out of range (1-65535)"));
        assertThat(listener.snapshots).hasSize(published);
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80");

        write(file, config(":80=10.0.0.1:80", ":81=10.0.0.1:81"));

        awaitServed(":80=10.0.0.1:80", ":81=10.0.0.1:81");
        eventually().untilAsserted(() -> assertThat(listener.recovered).containsExactly(file.toString()));
    }

    @Test
    void aFileRecoversUnderTheSubjectItsErrorsNamed() throws IOException {
        // The coordinator clears a file's errors by subject: the recovery must name the file exactly
        // as its errors did, escaped control character included.
        Path file = write(dir.resolve("bad\u001b[31m.yaml"), config(":80=10.0.0.1:80", ":81=10.0.0.1:99999"));
        start(file);
        eventually().untilAsserted(() -> assertThat(listener.errors).isNotEmpty());
        SourceError error = listener.errors.get(0);
        assertThat(error.subject()).doesNotContain("\u001b").isNotEqualTo(error.place());
        assertThat(error.place()).startsWith(error.subject() + ":");

        write(file, config(":80=10.0.0.1:80"));

        awaitServed(":80=10.0.0.1:80");
        eventually().untilAsserted(() -> assertThat(listener.recovered).containsExactly(error.subject()));
    }

    @Test
    void otherFilesUnaffectedByABadOne() throws IOException {
        Path a = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        Path b = write(dir.resolve("b.yaml"), config(":81=10.0.0.1:81"));
        start(a, b);

        write(b, "apiVersion: v2\nfrontends: []\n");
        eventually().untilAsserted(() -> assertThat(listener.errorTexts())
                .containsExactly(b + ":1:13: apiVersion: 'v2' is not supported; the only version is v1"));
        write(a, config(":80=10.0.0.2:80"));

        awaitServed(":80=10.0.0.2:80", ":81=10.0.0.1:81");
    }

    @Test
    void renameIntoPlaceIsPickedUp() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        start(file);

        Path temp = write(dir.resolve(".a.yaml.swp"), config(":80=10.0.0.2:80"));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        awaitServed(":80=10.0.0.2:80");
    }

    @Test
    void configMapDataSymlinkSwapIsPickedUp() throws IOException {
        configMapVolume("..2026_11_26_10_00_00.1", config(":80=10.0.0.1:80"));
        start(dir);
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80");

        swapConfigMap("..2026_11_26_10_00_00.1", "..2026_11_26_10_05_00.2", config(":80=10.0.0.2:80"));

        awaitServed(":80=10.0.0.2:80");
        assertThat(listener.errors).isEmpty();
    }

    @Test
    void configMapFileNamedDirectlyFollowsTheSwap() throws IOException {
        configMapVolume("..2026_11_26_10_00_00.1", config(":80=10.0.0.1:80"));
        start(dir.resolve("config.yaml"));

        swapConfigMap("..2026_11_26_10_00_00.1", "..2026_11_26_10_05_00.2", config(":80=10.0.0.2:80"));

        awaitServed(":80=10.0.0.2:80");
    }

    /** Lays out a volume the way the kubelet does: dir/config.yaml -> ..data/config.yaml, ..data -> ..timestamp. */
    private void configMapVolume(String version, String content) throws IOException {
        Files.createDirectory(dir.resolve(version));
        write(dir.resolve(version).resolve("config.yaml"), content);
        Files.createSymbolicLink(dir.resolve("..data"), Path.of(version));
        Files.createSymbolicLink(dir.resolve("config.yaml"), Path.of("..data", "config.yaml"));
    }

    /** The kubelet's atomic update: a new timestamped directory, a renamed-over ..data link, the old directory removed. */
    private void swapConfigMap(String old, String version, String content) throws IOException {
        Files.createDirectory(dir.resolve(version));
        write(dir.resolve(version).resolve("config.yaml"), content);
        Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of(version));
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        try (Stream<Path> walk = Files.walk(dir.resolve(old))) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void deletedFileWithdrawsItsFrontends() throws IOException {
        write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        Path b = write(dir.resolve("b.yaml"), config(":81=10.0.0.1:81"));
        start(dir);
        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80", ":81=10.0.0.1:81");

        Files.delete(b);

        awaitServed(":80=10.0.0.1:80");
        assertThat(listener.errors).isEmpty();
    }

    @Test
    void deletedNamedFileWithdrawsItsFrontendsAndIsReportedMissing() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        start(file);

        Files.delete(file);

        awaitServed();
        eventually().untilAsserted(() -> assertThat(listener.errorTexts())
                .containsExactly(file + ": does not exist; waiting for it to appear"));
    }

    @Test
    void truncateThenWriteDoesNotWithdraw() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        // A long debounce leaves the test ample time to write after the source has seen the empty file.
        FileBackendSource source = start(new FileBackendSource("file", List.of(file), Duration.ofMillis(500),
                Duration.ofSeconds(5), true));

        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.force(true);
            eventually().pollInterval(Duration.ofMillis(2)).until(source::changePending);
            byte[] bytes = config(":80=10.0.0.2:80").getBytes(StandardCharsets.UTF_8);
            ch.write(ByteBuffer.wrap(bytes, 0, bytes.length / 2));
            ch.force(true);
            ch.write(ByteBuffer.wrap(bytes, bytes.length / 2, bytes.length - bytes.length / 2));
        }

        awaitServed(":80=10.0.0.2:80");
        assertThat(listener.snapshots).allSatisfy(s -> assertThat(s.frontends()).isNotEmpty());
    }

    @Test
    void halfWrittenFileWithdrawsNothingAndReportsNothing() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80", ":81=10.0.0.1:81", ":82=10.0.0.1:82"));
        FileBackendSource source = start(new FileBackendSource("file", List.of(file), Duration.ofMillis(500),
                Duration.ofSeconds(5), true));
        String next = config(":80=10.0.0.2:80", ":81=10.0.0.1:81", ":82=10.0.0.1:82");
        // Cut where the rest still parses: the first part alone is a valid file without :82.
        int cut = next.indexOf("  - bind: :82");

        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(next.substring(0, cut).getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
            eventually().pollInterval(Duration.ofMillis(2)).until(source::changePending);
            ch.write(ByteBuffer.wrap(next.substring(cut).getBytes(StandardCharsets.UTF_8)));
        }

        awaitServed(":80=10.0.0.2:80", ":81=10.0.0.1:81", ":82=10.0.0.1:82");
        assertThat(listener.snapshots).allSatisfy(s -> assertThat(s.frontends()).hasSize(3));
        assertThat(listener.errors).isEmpty();
    }

    @Test
    void fileThatStaysEmptyWithdrawsItsFrontends() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        start(file);

        write(file, "");

        awaitServed();
        assertThat(listener.errors).isEmpty();
    }

    @Test
    void rapidSuccessiveWritesAreDebouncedIntoOneReload() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        FileBackendSource source = start(file);
        int versionsBefore = source.versionsRead();

        for (int i = 2; i <= 21; i++) {
            write(file, config(":80=10.0.0." + i + ":80"));
        }

        awaitServed(":80=10.0.0.21:80");
        assertThat(source.versionsRead() - versionsBefore).isLessThan(20);
    }

    @Test
    void editThatLeavesTheFrontendsAsTheyWerePublishesNothing() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        FileBackendSource source = start(file);
        int versionsBefore = source.versionsRead();

        write(file, config(":80=10.0.0.1:80") + "# a comment at the end\n");

        eventually().until(() -> source.versionsRead() > versionsBefore);
        assertThat(listener.snapshots).hasSize(1);
    }

    @Test
    void duplicateBindsMergeBackends() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80", ":22=10.0.0.3:22", ":80=10.0.0.2:80"));

        start(file);

        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80,10.0.0.2:80", ":22=10.0.0.3:22");
        assertThat(listener.last().frontends().get(0).origin()).isEqualTo(file + ":3:5");
    }

    @Test
    void duplicateBindsWithDifferentSettingsAreRejectedNamingBothLines() throws IOException {
        Path file = write(dir.resolve("a.yaml"), ConfigParserTest.exampleWithSecondPort80Entry("healthInterval: 5",
                "timeout: 30s"));

        start(file);

        assertThat(listener.errors).singleElement().satisfies(e -> {
            assertThat(e.place()).isEqualTo(file + ":13:5");
            assertThat(e.message()).contains("at " + file + ":3:5").contains("idleTimeout 1h vs 30s");
        });
        assertThat(listener.served()).isEmpty();
    }

    @Test
    void sameBindInTwoFilesIsPublishedTwiceForTheMergerToReport() throws IOException {
        Path a = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        Path b = write(dir.resolve("b.yaml"), config(":80=10.0.0.2:80"));

        start(a, b);

        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80", ":80=10.0.0.2:80");
    }

    @Test
    void directoryOfYamlFilesIsRead() throws IOException {
        Path conf = Files.createDirectory(dir.resolve("conf.d"));
        write(conf.resolve("b.yml"), config(":2=10.0.0.2:2"));
        write(conf.resolve("a.yaml"), config(":1=10.0.0.1:1"));
        write(conf.resolve("c.txt"), config(":3=10.0.0.3:3"));
        write(conf.resolve(".hidden.yaml"), config(":4=10.0.0.4:4"));
        Files.createDirectory(conf.resolve("sub.yaml"));
        write(conf.resolve("sub.yaml").resolve("d.yaml"), config(":5=10.0.0.5:5"));
        Path extra = write(dir.resolve("extra.yaml"), config(":6=10.0.0.6:6"));

        start(extra, conf);

        assertThat(listener.served()).containsExactly(":6=10.0.0.6:6", ":1=10.0.0.1:1", ":2=10.0.0.2:2");

        write(conf.resolve("0.yaml"), config(":7=10.0.0.7:7"));

        awaitServed(":6=10.0.0.6:6", ":7=10.0.0.7:7", ":1=10.0.0.1:1", ":2=10.0.0.2:2");
    }

    @Test
    void missingFileAppearsLater() throws IOException {
        Path file = dir.resolve("later.yaml");
        start(file);
        assertThat(listener.errorTexts()).containsExactly(file + ": does not exist; waiting for it to appear");
        assertThat(listener.served()).isEmpty();

        write(file, config(":80=10.0.0.1:80"));

        awaitServed(":80=10.0.0.1:80");
        assertThat(listener.recovered).containsExactly(file.toString());
    }

    @Test
    void missingDirectoryAppearsLater() throws IOException {
        Path conf = dir.resolve("conf.d");
        start(conf);
        assertThat(listener.errorTexts()).containsExactly(conf + ": does not exist; waiting for it to appear");

        Path staging = Files.createDirectory(dir.resolve(".staging"));
        write(staging.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        Files.move(staging, conf, StandardCopyOption.ATOMIC_MOVE);

        awaitServed(":80=10.0.0.1:80");
    }

    @Test
    void pollingFallbackPicksUpChangesWithoutWatchEvents() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        start(new FileBackendSource("file", List.of(file), Duration.ofMillis(50), Duration.ofMillis(100), false));

        write(file, config(":80=10.0.0.2:80"));

        awaitServed(":80=10.0.0.2:80");
    }

    @Test
    void closeStopsBothThreadsAndPublishesNothingAfter() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));
        FileBackendSource source = start(new FileBackendSource("closing", List.of(file)));

        source.close();

        eventually().untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().endsWith("-closing") && t.isAlive()));
        write(file, config(":80=10.0.0.2:80"));
        assertThat(listener.snapshots).hasSize(1);
        assertThatThrownBy(() -> source.start(new RecordingListener())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void fileThatIsNotUtf8IsRejectedNamingLineColumnAndByteOffset() throws IOException {
        byte[] head = "apiVersion: v1\nfr\u00e9 ".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = java.util.Arrays.copyOf(head, head.length + 2);
        bytes[head.length] = (byte) 0xff;
        bytes[head.length + 1] = '\n';
        Path file = Files.write(dir.resolve("a.yaml"), bytes);

        start(file);

        assertThat(listener.errors).singleElement().satisfies(e -> {
            assertThat(e.place()).isEqualTo(file + ":2:5");
            assertThat(e.message()).isEqualTo("not UTF-8 text (byte 0xFF at byte offset 20)");
        });
    }

    @Test
    void fileNamedTwiceIsReadOnce() throws IOException {
        Path file = write(dir.resolve("a.yaml"), config(":80=10.0.0.1:80"));

        start(file, dir);

        assertThat(listener.served()).containsExactly(":80=10.0.0.1:80");
    }

    @Test
    void sourceNeedsAtLeastOnePath() {
        assertThatThrownBy(() -> new FileBackendSource(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}

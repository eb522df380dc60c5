package dev.portico.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Frontend;
import dev.portico.api.SourceError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link FileBackendSource#read}: files read once, as a source's first read takes them, without a thread. */
class ReadOnceTest {

    @TempDir
    Path dir;

    @Test
    void theGoodFilesGiveTheirFrontendsAndEveryOtherFileItsProblemsWithTheirPlaces() throws IOException {
        Path good = Files.writeString(dir.resolve("a.yaml"), """
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                """);
        Path bad = Files.writeString(dir.resolve("b.yaml"), """
                apiVersion: v1
                frontends:
                  - bind: :81
                    healthIntreval: 5
                """);
        Path missing = dir.resolve("c.yaml");

        FileBackendSource.Contents read = FileBackendSource.read(List.of(good, bad, missing));

        assertThat(read.frontends()).extracting(Frontend::origin).containsExactly(good + ":3:5");
        assertThat(read.frontends()).extracting(Frontend::source).containsExactly(FileBackendSource.DEFAULT_NAME);
        assertThat(read.problems()).extracting(SourceError::toString).containsExactly(
                bad + ":4:5: unknown key 'healthIntreval' (did you mean 'healthInterval'?)",
                missing + ": does not exist; waiting for it to appear");
        assertThat(read.problems()).extracting(SourceError::subject).containsExactly(bad.toString(), missing.toString());
    }

    @Test
    void aDirectoryIsReadAsTheSourceReadsIt() throws IOException {
        Files.writeString(dir.resolve("b.yml"), "apiVersion: v1\nfrontends:\n  - bind: :81\n    backends: []\n");
        Files.writeString(dir.resolve("a.yaml"), "apiVersion: v1\nfrontends:\n  - bind: :80\n    backends: []\n");
        Files.writeString(dir.resolve("notes.txt"), "not a config file");

        FileBackendSource.Contents read = FileBackendSource.read(List.of(dir));

        assertThat(read.problems()).isEmpty();
        assertThat(read.frontends()).extracting(f -> f.bind().toString()).containsExactly(":80", ":81");
    }
}

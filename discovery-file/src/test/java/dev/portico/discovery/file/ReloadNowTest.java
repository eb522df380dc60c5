package dev.portico.discovery.file;

import dev.portico.api.fixtures.RecordingListener;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link FileBackendSource#reloadNow()}: what a SIGHUP asks of the files. */
class ReloadNowTest {

    @TempDir
    Path dir;

    @Test
    void reloadNowPublishesAChangeThatNoWatchEventOrPollHasSeen() throws Exception {
        Path file = dir.resolve("a.yaml");
        Files.writeString(file, "apiVersion: v1\nfrontends:\n  - bind: :80\n    backends:\n      - address: 10.0.0.1:80\n");
        // No watch service and a poll that never comes in the test's time: only reloadNow reads again.
        FileBackendSource source = new FileBackendSource("file", List.of(file), Duration.ofMillis(50),
                Duration.ofHours(1), false);
        RecordingListener listener = new RecordingListener();
        try {
            source.start(listener);
            Files.writeString(file, "apiVersion: v1\nfrontends:\n  - bind: :80\n    backends:\n      - address: 10.0.0.1:80\n"
                    + "  - bind: :81\n    backends:\n      - address: 10.0.0.2:81\n");

            assertThat(source.reloadNow().get(10, TimeUnit.SECONDS)).as("a new snapshot was published").isTrue();

            assertThat(listener.last().frontends()).hasSize(2);
        } finally {
            source.close();
        }
    }
}

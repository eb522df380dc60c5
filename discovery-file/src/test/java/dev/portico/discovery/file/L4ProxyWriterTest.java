package dev.portico.discovery.file;

import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class L4ProxyWriterTest {

    private final L4ProxyWriter writer = new L4ProxyWriter();

    private static Frontend frontend(String bind, Duration idle, Duration healthInterval, String... backends) {
        Frontend.Builder b = Frontend.builder(bind).idleTimeout(idle)
                .health(HealthCheck.DEFAULT.withInterval(healthInterval));
        for (String a : backends) {
            b.backend(a);
        }
        return b.build();
    }

    private final List<Frontend> sample = List.of(
            frontend("@eth1:443", Duration.ofSeconds(90), Duration.ofSeconds(7), "127.0.0.3:443", "127.0.0.2:443"),
            frontend(":80", Frontend.DEFAULT_IDLE_TIMEOUT, HealthCheck.DEFAULT_INTERVAL, "127.0.0.2:80"),
            frontend("127.0.0.1:22", Duration.ofHours(2), Duration.ofMillis(250), "[fd00::1]:22", "lb.example.test:22"));

    @Test
    void rendersTheL4proxyFormatInADeterministicOrder() {
        assertThat(writer.render(sample)).isEqualTo("""
                apiVersion: v1
                frontends:
                  - bind: 127.0.0.1:22
                    backends:
                      - address: "[fd00:0:0:0:0:0:0:1]:22"
                      - address: lb.example.test:22
                    healthInterval: 1
                    timeout: 2h0m0s
                  - bind: :80
                    backends:
                      - address: 127.0.0.2:80
                    healthInterval: 5
                    timeout: 0s
                  - bind: '@eth1:443'
                    backends:
                      - address: 127.0.0.2:443
                      - address: 127.0.0.3:443
                    healthInterval: 7
                    timeout: 1m30s
                """);
        List<Frontend> reversed = new ArrayList<>(sample);
        Collections.reverse(reversed);
        assertThat(writer.render(reversed)).isEqualTo(writer.render(sample));
    }

    @Test
    void whatIsWrittenTheFileReaderReadsBackToTheSameFrontends(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("l4proxy.yaml");
        writer.write(file, new Snapshot("kubernetes", sample));
        ConfigParser.Result read = ConfigParser.parse(file.toString(), Files.readString(file), "file");
        assertThat(read.problems()).isEmpty();
        assertThat(read.frontends()).hasSameSizeAs(sample);
        for (Frontend back : read.frontends()) {
            Frontend original = sample.stream().filter(f -> f.bind().equals(back.bind())).findFirst().orElseThrow();
            assertThat(back.protocol()).isEqualTo(original.protocol());
            assertThat(back.backends()).containsExactlyInAnyOrderElementsOf(original.backends());
            assertThat(back.idleTimeout()).isEqualTo(original.idleTimeout());
            // l4proxy's interval is whole seconds, rounded up
            assertThat(back.health().interval()).isEqualTo(
                    Duration.ofSeconds(L4ProxyWriter.healthIntervalSeconds(original.health().interval())));
        }
    }

    @Test
    void ofSeveralFrontendsOnOneBindOnlyTheFirstIsWritten() {
        String yaml = writer.render(List.of(frontend(":80", Frontend.DEFAULT_IDLE_TIMEOUT, HealthCheck.DEFAULT_INTERVAL,
                "127.0.0.2:80"), frontend(":80", Frontend.DEFAULT_IDLE_TIMEOUT, HealthCheck.DEFAULT_INTERVAL, "127.0.0.3:80")));
        assertThat(yaml).contains("127.0.0.2:80").doesNotContain("127.0.0.3:80");
    }

    @Test
    void writesAtomicallyAndOnlyWhenTheContentChanges(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("l4proxy.yaml");
        assertThat(writer.write(file, sample)).isTrue();
        assertThat(Files.readString(file)).isEqualTo(writer.render(sample));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000_000_000L));
        Object inode = Files.getAttribute(file, "unix:ino");

        assertThat(writer.write(file, reversedSample())).isFalse();
        assertThat(Files.getLastModifiedTime(file)).isEqualTo(FileTime.fromMillis(1_000_000_000_000L));
        assertThat(Files.getAttribute(file, "unix:ino")).isEqualTo(inode);

        List<Frontend> changed = List.of(sample.get(0), sample.get(1));
        assertThat(writer.write(file, changed)).isTrue();
        assertThat(Files.readString(file)).isEqualTo(writer.render(changed));
        assertThat(Files.getAttribute(file, "unix:ino")).isNotEqualTo(inode); // replaced by a rename
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void aHealthIntervalIsWrittenInWholeSecondsRoundedUp() {
        assertThat(L4ProxyWriter.healthIntervalSeconds(Duration.ofMillis(1001))).isEqualTo(2);
        assertThat(L4ProxyWriter.healthIntervalSeconds(Duration.ofMillis(1))).isEqualTo(1);
    }

    private List<Frontend> reversedSample() {
        List<Frontend> r = new ArrayList<>(sample);
        Collections.reverse(r);
        return r;
    }

    @Test
    void udpFrontendsAreLeftOut() {
        List<Frontend> withUdp = new java.util.ArrayList<>(sample);
        withUdp.add(Frontend.builder(":53").protocol(dev.portico.api.Protocol.UDP).backend("127.0.0.2:53").build());
        assertThat(writer.render(withUdp)).isEqualTo(writer.render(sample));
    }
}

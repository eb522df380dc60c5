package dev.portico.discovery.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
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

class L4ProxyYamlWriterTest {

    private final L4ProxyYamlWriter writer = new L4ProxyYamlWriter();

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
    void writtenYamlReadsBackToTheSameBindsBackendsAndSettings() throws IOException {
        JsonNode root = new YAMLMapper().readTree(writer.render(sample));
        assertThat(root.get("apiVersion").asText()).isEqualTo("v1");
        List<JsonNode> fes = new ArrayList<>();
        root.get("frontends").forEach(fes::add);
        assertThat(fes).hasSize(3);
        for (JsonNode fe : fes) {
            BindAddress bind = BindAddress.parse(fe.get("bind").asText());
            Frontend original = sample.stream().filter(f -> f.bind().equals(bind)).findFirst().orElseThrow();
            List<Backend> backends = new ArrayList<>();
            fe.get("backends").forEach(b -> backends.add(Backend.parse(b.get("address").asText())));
            assertThat(backends).containsExactlyInAnyOrderElementsOf(original.backends());
            assertThat(fe.get("healthInterval").isInt()).isTrue();
            Duration timeout = dev.portico.api.Durations.parse(fe.get("timeout").asText());
            assertThat(timeout.isZero() ? Frontend.DEFAULT_IDLE_TIMEOUT : timeout).isEqualTo(original.idleTimeout());
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
    void durationsAreWrittenAsGoWritesThem() {
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ZERO)).isEqualTo("0s");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofHours(1))).isEqualTo("1h0m0s");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofNanos(1_500_000))).isEqualTo("1.5ms");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofNanos(1_500))).isEqualTo("1.5µs");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.ofNanos(7))).isEqualTo("7ns");
        assertThat(L4ProxyYamlWriter.goDuration(Duration.parse("PT2H3M4.005S"))).isEqualTo("2h3m4.005s");
        assertThat(L4ProxyYamlWriter.healthIntervalSeconds(Duration.ofMillis(1001))).isEqualTo(2);
        assertThat(L4ProxyYamlWriter.healthIntervalSeconds(Duration.ofMillis(1))).isEqualTo(1);
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

package dev.portico.discovery.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.api.Frontend;
import dev.portico.api.FrontendSettings;
import dev.portico.api.FrontendSettings.Setting;
import dev.portico.api.InvalidConfigException;
import dev.portico.discovery.file.FileBackendSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every row of {@link FrontendSettings}, written once as a file key and once as a Service
 * annotation with the same value, gives the same frontend; and a setting's value is one that
 * {@link Frontend#sameSettings} tells from the default.
 */
class SettingsSyntaxesTest {

    /** A value each syntax writes the same way, per row; a new row without one fails below. */
    private static final Map<Setting<?>, String> SAMPLES = new LinkedHashMap<>();

    @TempDir
    static Path dir;

    static {
        SAMPLES.put(FrontendSettings.L4PROXY_HEALTH_INTERVAL, "7");
        SAMPLES.put(FrontendSettings.HEALTH_INTERVAL, "1.5s");
        SAMPLES.put(FrontendSettings.HEALTH_TIMEOUT, "1500ms");
        SAMPLES.put(FrontendSettings.HEALTH_RISE, "4");
        SAMPLES.put(FrontendSettings.HEALTH_FALL, "5");
        SAMPLES.put(FrontendSettings.HEALTH_INITIAL, "down");
        SAMPLES.put(FrontendSettings.HEALTH_ENABLED, "false");
        SAMPLES.put(FrontendSettings.L4PROXY_TIMEOUT, "90s");
        SAMPLES.put(FrontendSettings.IDLE_TIMEOUT, "2h");
        SAMPLES.put(FrontendSettings.CONNECT_TIMEOUT, "2.5");
        SAMPLES.put(FrontendSettings.BALANCE, "leastconn");
        SAMPLES.put(FrontendSettings.PROXY_PROTOCOL, "v2");
        SAMPLES.put(FrontendSettings.ACCEPT_PROXY, "10.0.0.1/32,192.168.1.0/24");
        SAMPLES.put(FrontendSettings.ACCEPT_PROXY_TIMEOUT, "1500ms");
        SAMPLES.put(FrontendSettings.ALLOW, "192.168.0.0/16,fd00::/8");
        SAMPLES.put(FrontendSettings.DENY, "192.168.1.66");
        SAMPLES.put(FrontendSettings.MAX_CONNECTIONS, "500");
        SAMPLES.put(FrontendSettings.AFFINITY, "3h");
        SAMPLES.put(FrontendSettings.SNI, "a.example.org,*.apps.example.org");
    }

    static Stream<Setting<?>> rows() {
        return FrontendSettings.ALL.stream();
    }

    @ParameterizedTest
    @MethodSource("rows")
    void everyRowMeansTheSameInAFileAndInAnAnnotation(Setting<?> row) {
        assertThat(SAMPLES).as("a sample value for " + row).containsKey(row);
        Map<Setting<?>, String> given = new LinkedHashMap<>();
        if (row.requires() != null) {
            given.put(row.requires(), SAMPLES.get(row.requires()));
        }
        given.put(row, SAMPLES.get(row));

        Frontend fromFile = fromFile(given);
        Frontend defaults = Frontend.builder(":80").build();
        assertThat(fromFile.sameSettings(defaults)).as(row + " changes what sameSettings compares").isFalse();
        if (row.annotationKey() == null) {
            assertThat(row).as("the only file-only row: l4proxy's name for idleTimeout")
                    .isSameAs(FrontendSettings.L4PROXY_TIMEOUT);
            return;
        }
        assertThat(fromAnnotations(given)).isEqualTo(fromFile);
    }

    @Test
    void aMisspelledFileKeyAndAMisspelledAnnotationAreEachGivenTheRightKey() {
        FileBackendSource.Contents r = readFile("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    maxConnectoins: 5
                """);
        assertThat(r.problems()).extracting(Object::toString)
                .containsExactly(dir.resolve("a.yaml") + ":4:5: unknown key 'maxConnectoins' (did you mean "
                        + "'maxConnections'?)");
        assertThatThrownBy(() -> Annotations.parse(Map.of("portico.dev/max-connectoins", "5")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("annotation portico.dev/max-connectoins is not known to Portico "
                        + "(did you mean portico.dev/max-connections?)");
    }

    /** The frontend of a file entry on :80 that gives these settings, without its source and origin. */
    private static Frontend fromFile(Map<Setting<?>, String> given) {
        StringBuilder yaml = new StringBuilder("apiVersion: v1\nfrontends:\n  - bind: :80\n");
        String block = null;
        for (Map.Entry<Setting<?>, String> e : given.entrySet()) {
            String key = e.getKey().fileKey();
            String value = e.getValue().contains(",") || List.of(FrontendSettings.ACCEPT_PROXY, FrontendSettings.ALLOW,
                    FrontendSettings.DENY, FrontendSettings.SNI).contains(e.getKey())
                    ? "['" + String.join("', '", e.getValue().split(",")) + "']" : e.getValue();
            int dot = key.indexOf('.');
            if (dot < 0) {
                yaml.append("    ").append(key).append(": ").append(value).append('\n');
                continue;
            }
            if (!key.substring(0, dot).equals(block)) {
                block = key.substring(0, dot);
                yaml.append("    ").append(block).append(":\n");
            }
            yaml.append("      ").append(key.substring(dot + 1)).append(": ").append(value).append('\n');
        }
        FileBackendSource.Contents r = readFile(yaml.toString());
        assertThat(r.problems()).as(yaml.toString()).isEmpty();
        return r.frontends().get(0).toBuilder().source(null).origin(null).build();
    }

    /** {@code text} as the file source reads it from a file {@code a.yaml}. */
    private static FileBackendSource.Contents readFile(String text) {
        Path file = dir.resolve("a.yaml");
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
        return FileBackendSource.read(List.of(file));
    }

    private static Frontend fromAnnotations(Map<Setting<?>, String> given) {
        Map<String, String> annotations = new LinkedHashMap<>();
        given.forEach((s, v) -> annotations.put(s.annotationKey(), v));
        return Annotations.parse(annotations).applyTo(Frontend.builder(":80")).build();
    }
}

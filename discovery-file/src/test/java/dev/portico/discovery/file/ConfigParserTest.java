package dev.portico.discovery.file;

import dev.portico.api.fixtures.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Backend;
import dev.portico.api.BalancePolicy;
import dev.portico.api.BindAddress;
import dev.portico.api.Durations;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigParserTest {

    private static ConfigParser.Result parse(String text) {
        return ConfigParser.parse("a.yaml", text, "file");
    }

    /** The single problem of a rejected file, as {@code place: message}. */
    private static String onlyProblem(String text) {
        ConfigParser.Result r = parse(text);
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).hasSize(1);
        return r.problems().get(0).toString();
    }

    static String l4proxyExample() {
        return Fixtures.l4proxyExample();
    }

    /** l4proxy's example with the settings of its second {@code :80} entry (line 13) replaced. */
    static String exampleWithSecondPort80Entry(String healthInterval, String timeout) {
        String entry = "      - address: 10.0.0.100:80\n    healthInterval: 5\n    timeout: 0s\n";
        String example = l4proxyExample();
        if (!example.contains(entry)) {
            throw new IllegalStateException("the l4proxy example changed: no second :80 entry");
        }
        return example.replace(entry, "      - address: 10.0.0.100:80\n    " + healthInterval + "\n    " + timeout + "\n");
    }

    @Test
    void l4proxyExampleLoadsUnchanged() throws IOException {
        ConfigParser.Result r = parse(l4proxyExample());

        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).extracting(f -> f.bind().toString()).containsExactly(":80", ":443", ":22");
        Frontend http = r.frontends().get(0);
        assertThat(http.backends()).containsExactly(new Backend("10.0.0.102", 80), new Backend("10.0.0.100", 80));
        assertThat(r.frontends().get(1).backends())
                .containsExactly(new Backend("10.0.0.102", 443), new Backend("10.0.0.100", 443));
        assertThat(r.frontends().get(2).backends()).containsExactly(new Backend("10.0.0.101", 22));
        assertThat(http.health()).isEqualTo(HealthCheck.DEFAULT.withInterval(Duration.ofSeconds(5)));
        assertThat(http.idleTimeout()).isEqualTo(Frontend.DEFAULT_IDLE_TIMEOUT);
        assertThat(http.connectTimeout()).isEqualTo(Frontend.DEFAULT_CONNECT_TIMEOUT);
        assertThat(http.balance()).isEqualTo(BalancePolicy.RANDOM);
        assertThat(http.source()).isEqualTo("file");
        assertThat(r.frontends()).extracting(Frontend::origin)
                .containsExactly("a.yaml:3:5", "a.yaml:8:5", "a.yaml:23:5");
    }

    @Test
    void porticoExtensionsAreRead() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - name: web
                    bind: 127.0.0.1:8080
                    backends:
                      - address: 10.0.0.1:80
                        weight: 3
                      - address: "[fd00::1]:80"
                        weight: 0
                    connectTimeout: 250ms
                    idleTimeout: 1m30s
                    balance: leastconn
                    health:
                      interval: 10s
                      timeout: 1s
                      rise: 1
                      fall: 5
                      initial: down
                      enabled: false
                """);

        assertThat(r.problems()).isEmpty();
        Frontend f = r.frontends().get(0);
        assertThat(f.name()).isEqualTo("web");
        assertThat(f.bind()).isEqualTo(BindAddress.host("127.0.0.1", 8080));
        assertThat(f.backends()).containsExactly(new Backend("10.0.0.1", 80, 3), new Backend("fd00:0:0:0:0:0:0:1", 80, 0));
        assertThat(f.connectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(f.balance()).isEqualTo(BalancePolicy.LEAST_CONNECTIONS);
        assertThat(f.health()).isEqualTo(new HealthCheck(false, Duration.ofSeconds(10), Duration.ofSeconds(1), 1, 5, false));
    }

    @Test
    void absentSettingsTakeTheDefaults() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: 1313
                """);

        Frontend f = r.frontends().get(0);
        assertThat(f.bind()).isEqualTo(BindAddress.wildcard(1313));
        assertThat(f.name()).isEqualTo(":1313");
        assertThat(f.backends()).isEmpty();
        assertThat(f.health()).isEqualTo(HealthCheck.DEFAULT);
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(f.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void zeroTimeoutAndHealthIntervalMeanTheDefaults() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :1
                    healthInterval: 0
                    timeout: 0
                  - bind: :2
                    health:
                      interval: 0s
                    idleTimeout: 0s
                """);

        assertThat(r.frontends()).allSatisfy(f -> {
            assertThat(f.idleTimeout()).isEqualTo(Frontend.DEFAULT_IDLE_TIMEOUT);
            assertThat(f.health().interval()).isEqualTo(HealthCheck.DEFAULT_INTERVAL);
        });
    }

    @Test
    void bareNumbersAreSeconds() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :1
                    healthInterval: 7
                    timeout: 30
                    connectTimeout: 1.5
                """);

        Frontend f = r.frontends().get(0);
        assertThat(f.health().interval()).isEqualTo(Duration.ofSeconds(7));
        assertThat(f.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(f.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void idleTimeoutReplacesTimeoutAndMustAgreeWithIt() {
        ConfigParser.Result agree = parse("""
                apiVersion: v1
                frontends:
                  - bind: :1
                    timeout: 60s
                    idleTimeout: 1m
                  - bind: :2
                    timeout: 0s
                    idleTimeout: 10m
                """);
        assertThat(agree.frontends()).extracting(Frontend::idleTimeout)
                .containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(10));

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :1
                    timeout: 30s
                    idleTimeout: 10m
                """)).isEqualTo("a.yaml:5:18: idleTimeout 10m disagrees with timeout 30s at line 4;"
                + " idleTimeout replaces timeout, so give only one of them");
    }

    @Test
    void healthIntervalMustAgreeWithHealthBlockInterval() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :1
                    healthInterval: 5
                    health:
                      interval: 10s
                """)).startsWith("a.yaml:6:17: interval 10s disagrees with healthInterval 5s at line 4");
    }

    @Test
    void typoInKeyIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    healthIntreval: 5
                """)).isEqualTo("a.yaml:4:5: unknown key 'healthIntreval' (did you mean 'healthInterval'?)");
    }

    @Test
    void unknownKeysAreFoundAtEveryLevel() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontend:
                  - bind: :80
                """);
        assertThat(r.problems()).extracting(ConfigProblem::toString)
                .containsExactly("a.yaml:2:1: unknown key 'frontend' (did you mean 'frontends'?)");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - adress: 10.0.0.1:80
                """)).isEqualTo("a.yaml:5:9: unknown key 'adress' (did you mean 'address'?)");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    health:
                      fal: 2
                """)).isEqualTo("a.yaml:5:7: unknown key 'fal' (did you mean 'fall'?)");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    proxyProtocolVersion: 2
                """)).startsWith("a.yaml:4:5: unknown key 'proxyProtocolVersion' (known keys here: name, bind, backends,");
    }

    @Test
    void wrongTypeIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    healthInterval: [5]
                """)).isEqualTo("a.yaml:4:21: healthInterval: expected a duration (" + Durations.FORMS + "), got a list");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends: 10.0.0.1:80
                """)).isEqualTo("a.yaml:4:15: backends: expected a list, got a string '10.0.0.1:80'");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                        weight: "2"
                """)).isEqualTo("a.yaml:6:17: weight: expected an integer, got a string '2'");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    health:
                      enabled: maybe
                """)).isEqualTo("a.yaml:5:16: enabled: expected true or false, got a string 'maybe'");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - :80
                """)).startsWith("a.yaml:3:5: expected a frontend to be a mapping of keys (name, bind, backends,");
    }

    @Test
    void badBindIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: 10.0.0.1:http
                """)).isEqualTo("a.yaml:3:11: bind address '10.0.0.1:http': port 'http' is not a number");
    }

    @Test
    void badBackendAddressIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1
                """)).isEqualTo("a.yaml:5:18: backend address '10.0.0.1': expected host:port");
    }

    @Test
    void portOutOfRangeIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :70000
                """)).isEqualTo("a.yaml:3:11: bind address ':70000': port 70000 is out of range (0-65535)");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:0
                """)).isEqualTo("a.yaml:5:18: backend address '10.0.0.1:0': port 0 is out of range (1-65535)");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                        weight: 257
                """)).isEqualTo("a.yaml:6:17: weight: 257 is out of range (0-256)");
    }

    @Test
    void badDurationIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    timeout: 5x
                """)).isEqualTo("a.yaml:4:14: timeout: '5x': unknown unit 'x' (units: ms, s, m, h); use " + Durations.FORMS);

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    connectTimeout: -1s
                """)).startsWith("a.yaml:4:21: connectTimeout: '-1s' is negative");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    connectTimeout: 0
                """)).isEqualTo("a.yaml:4:21: connectTimeout: must be more than 0");
    }

    @Test
    void badYamlSyntaxIsRejectedWithLineAndColumn() {
        String problem = onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends: [10.0.0.1:80
                  - bind: :81
                """);
        assertThat(problem).startsWith("a.yaml:5:").contains("YAML syntax error: ").doesNotContain("\n");

        assertThat(onlyProblem("apiVersion: v1\n\tfrontends: []\n"))
                .startsWith("a.yaml:2:1: YAML syntax error: ").contains("TAB");
    }

    @Test
    void wrongApiVersionIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v2
                frontends: []
                """)).isEqualTo("a.yaml:1:13: apiVersion: 'v2' is not supported; the only version is v1");
    }

    @Test
    void missingApiVersionIsRejected() {
        assertThat(onlyProblem("""
                frontends:
                  - bind: :80
                """)).isEqualTo("a.yaml:1:1: missing 'apiVersion: v1' (the l4proxy format version)");
    }

    @Test
    void missingBindIsRejectedWithLineAndColumn() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                  - backends:
                      - address: 10.0.0.1:80
                """)).isEqualTo("a.yaml:4:5: missing 'bind' (where to listen, e.g. bind: :80)");
    }

    @Test
    void severalProblemsInOneFileAreAllReported() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    healthIntreval: 5
                  - bind: :81
                    timeout: soon
                    backends:
                      - address: nope
                """);

        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).extracting(ConfigProblem::place)
                .containsExactly("a.yaml:4:5", "a.yaml:6:14", "a.yaml:8:18");
    }

    @Test
    void duplicateBindsMergeBackends() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                  - bind: :22
                  - bind: :80
                    backends:
                      - address: 10.0.0.2:80
                """);

        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).hasSize(2);
        assertThat(r.frontends().get(0).backends()).extracting(Backend::address)
                .containsExactly("10.0.0.1:80", "10.0.0.2:80");
        assertThat(r.frontends().get(0).origin()).isEqualTo("a.yaml:3:5");
    }

    @Test
    void duplicateBindsWithDifferentSettingsAreRejectedNamingBothLines() {
        // l4proxy's example with its second :80 entry (line 13) checked every 10 s instead of 5 s
        assertThat(onlyProblem(exampleWithSecondPort80Entry("healthInterval: 10", "timeout: 0s"))).isEqualTo("a.yaml:13:5: bind :80 is also used by the entry at a.yaml:3:5 with different settings"
                + " (health interval 5s vs 10s); entries with the same bind become one frontend only when everything"
                + " but their backends agrees");
    }

    @Test
    void duplicateBindsListingTheSameBackendAreRejected() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                """)).isEqualTo("a.yaml:6:5: backend 10.0.0.1:80 of bind :80 is listed both here and in the entry at a.yaml:3:5");
    }

    @Test
    void backendListedTwiceInOneEntryIsRejected() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                      - address: 10.0.0.1:80
                        weight: 2
                """)).isEqualTo("a.yaml:6:9: backend 10.0.0.1:80 is listed twice (also at line 5)");
    }

    @Test
    void backendWithoutAddressIsRejected() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - weight: 2
                """)).startsWith("a.yaml:5:9: backend without 'address'");
    }

    @Test
    void badBalanceAndHealthValuesAreRejected() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    balance: fastest
                """)).isEqualTo("a.yaml:4:14: unknown balance policy 'fastest' (one of: " + BalancePolicy.names() + ")");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    health:
                      initial: maybe
                """)).isEqualTo("a.yaml:5:16: initial: 'maybe' is not one of: up, down");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    health:
                      rise: 0
                """)).isEqualTo("a.yaml:5:13: rise: 0 is out of range (1-100)");
    }

    @Test
    void yamlThatWouldSilentlyMeanSomethingElseIsRejected() {
        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: :80
                    bind: :81
                """)).isEqualTo("a.yaml:4:5: duplicate key 'bind' (first at line 3)");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends:
                  - bind: &port :80
                  - bind: *port
                """)).startsWith("a.yaml:4:11: YAML aliases (*port) are not supported");

        assertThat(onlyProblem("""
                apiVersion: v1
                frontends: []
                ---
                apiVersion: v1
                """)).startsWith("a.yaml:4:1: a second YAML document");
    }

    @Test
    void aFileWithoutContentHasNoFrontends() {
        assertThat(parse("")).isEqualTo(new ConfigParser.Result(List.of(), List.of()));
        assertThat(parse("# nothing here yet\n")).isEqualTo(new ConfigParser.Result(List.of(), List.of()));
        ConfigParser.Result empty = parse("apiVersion: v1\nfrontends: []\n");
        assertThat(empty.ok()).isTrue();
        assertThat(empty.frontends()).isEmpty();
        assertThat(parse("apiVersion: v1\nfrontends:\n").ok()).isTrue();
    }

    @Test
    void rootThatIsNotAMappingIsRejected() {
        assertThat(onlyProblem("- bind: :80\n")).startsWith("a.yaml:1:1: expected the file to be a mapping of keys (apiVersion, frontends), got a list");
    }
}

package dev.portico.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Backend;
import dev.portico.api.Conflict;
import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

class SniConfigTest {

    static final String ISSUE_EXAMPLE = """
            apiVersion: v1
            frontends:
              - name: grafana
                bind: :443
                sni: [grafana.example.org]
                backends:
                  - address: 10.0.0.100:443
              - name: apps
                bind: :443
                sni: ["*.apps.example.org"]
                backends:
                  - address: 10.0.0.101:443
              - name: everything-else
                bind: :443
                backends:
                  - address: 10.0.0.102:443
            """;

    private static ConfigParser.Result parse(String text) {
        return ConfigParser.parse("a.yaml", text, "file");
    }

    @Test
    void theIssueExampleIsThreeFrontendsOnOneBind() {
        ConfigParser.Result r = parse(ISSUE_EXAMPLE);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).extracting(Frontend::name).containsExactly("grafana", "apps", "everything-else");
        assertThat(r.frontends()).extracting(Frontend::sni)
                .containsExactly(List.of("grafana.example.org"), List.of("*.apps.example.org"), List.of());
        Snapshot merged = new Snapshot("file", r.frontends());
        assertThat(merged.conflicts()).isEmpty();
        assertThat(served(merged)).hasSize(3);
    }

    @Test
    void entriesWithoutSniOnASharedBindMergeTheirBackendsAsDuplicateBindsDo() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    backends: [{address: 10.0.0.1:443}]
                  - bind: :443
                    sni: [a.example.org]
                    backends: [{address: 10.0.0.2:443}]
                  - bind: :443
                    backends: [{address: 10.0.0.3:443}]
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).hasSize(2);
        assertThat(r.frontends().get(0).backends())
                .containsExactly(new Backend("10.0.0.1", 443), new Backend("10.0.0.3", 443));
        assertThat(r.frontends().get(1).sni()).containsExactly("a.example.org");
    }

    @Test
    void badServerNamesAreRejectedAtTheirItem() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    sni:
                      - ok.example.org
                      - "a.*.example.org"
                      - bad_name.org
                      - OK.example.org
                    backends: [{address: 10.0.0.2:443}]
                """);
        assertThat(r.frontends()).isEmpty();
        assertThat(r.problems()).extracting(ConfigProblem::toString).containsExactly(
                "a.yaml:6:9: server name 'a.*.example.org': a wildcard is only allowed as the whole first label"
                        + " ('*.example.org')",
                "a.yaml:7:9: server name 'bad_name.org': label 'bad_name' may hold only letters, digits and inner"
                        + " hyphens",
                "a.yaml:8:9: server name ok.example.org is listed twice (also at line 5)");
    }

    @Test
    void sniMustBeAList() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    sni: a.example.org
                """);
        assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.toString()).startsWith("a.yaml:4:10:"));
    }

    @Test
    void twoEntriesClaimingOneNameOnOneBindAreAConflictTheFirstWins() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - name: first
                    bind: :443
                    sni: [a.example.org]
                  - name: second
                    bind: :443
                    sni: [A.Example.org, b.example.org]
                """);
        assertThat(r.problems()).isEmpty();
        Snapshot merged = new Snapshot("file", r.frontends());
        assertThat(served(merged)).extracting(Frontend::name).containsExactly("first");
        assertThat(merged.conflicts()).singleElement().satisfies(c -> assertThat(c.toString()).isEqualTo(
                "bind :443 server name a.example.org is wanted by file a.yaml:3:5 and file a.yaml:6:5;"
                        + " file a.yaml:6:5 is not served (it is listed first)"));
    }

    @Test
    void sniOnAUdpEntryIsAnErrorAtItsSniKey() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    protocol: udp
                    sni: [a.example.org]
                    backends: [{address: 10.0.0.1:443}]
                """);
        assertThat(r.problems()).extracting(ConfigProblem::toString).containsExactly(
                "a.yaml:5:10: sni applies to TCP frontends only: a UDP datagram carries no TLS server name"
                        + " (this entry has protocol: udp)");
        assertThat(r.frontends()).isEmpty();
    }

    @Test
    void aUdpEntryOnABindSharedByServerNamesIsAFrontendOfItsOwn() {
        ConfigParser.Result r = parse("""
                apiVersion: v1
                frontends:
                  - bind: :443
                    sni: [a.example.org]
                    backends: [{address: 10.0.0.1:443}]
                  - bind: :443
                    backends: [{address: 10.0.0.2:443}]
                  - bind: :443
                    protocol: udp
                    backends: [{address: 10.0.0.3:443}]
                """);
        assertThat(r.problems()).isEmpty();
        assertThat(r.frontends()).extracting(f -> f.protocol().configName() + " " + f.sni() + " " + f.backends())
                .containsExactly("tcp [a.example.org] [10.0.0.1:443]", "tcp [] [10.0.0.2:443]",
                        "udp [] [10.0.0.3:443]");
        Snapshot merged = new Snapshot("file", r.frontends());
        assertThat(merged.conflicts()).isEmpty();
    }

    /** What the coordinator would serve of one source's snapshot: all but the losers of its conflicts. */
    private static List<Frontend> served(Snapshot snapshot) {
        List<Frontend> losers = snapshot.conflicts().stream().map(Conflict::loser).toList();
        return snapshot.frontends().stream().filter(f -> !losers.contains(f)).toList();
    }
}

package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotMergerTest {

    private static Frontend fe(String name, String bind, String... backends) {
        Frontend.Builder b = Frontend.builder(bind).name(name);
        for (String be : backends) {
            b.backend(be);
        }
        return b.build();
    }

    @Test
    void disjointSourcesAreConcatenatedInSourceOrderAndStamped() {
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(fe("ssh", ":22", "10.0.0.1:22"))),
                new Snapshot("kubernetes", List.of(fe("web", ":80", "10.0.0.2:80")))), DesiredState.EMPTY);
        assertThat(r.conflicts()).isEmpty();
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("ssh", "web");
        assertThat(r.desired().frontends()).extracting(Frontend::source).containsExactly("file", "kubernetes");
    }

    @Test
    void sameBindFromTwoSourcesGoesToTheFirstRegisteredAndIsReported() {
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(fe("a", ":80", "10.0.0.1:80"))),
                new Snapshot("kubernetes", List.of(fe("b", ":80", "10.0.0.2:80")))), DesiredState.EMPTY);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("a");
        assertThat(r.conflicts()).hasSize(1);
        Conflict c = r.conflicts().get(0);
        assertThat(c.winner().name()).isEqualTo("a");
        assertThat(c.loser().name()).isEqualTo("b");
        assertThat(c.toString()).contains("bind :80").contains("registered first");
    }

    @Test
    void theSourceAlreadyServingABindKeepsIt() {
        DesiredState running = SnapshotMerger.merge(List.of(
                new Snapshot("kubernetes", List.of(fe("b", ":80", "10.0.0.2:80")))), DesiredState.EMPTY).desired();
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(fe("a", ":80", "10.0.0.1:80"))),
                new Snapshot("kubernetes", List.of(fe("b", ":80", "10.0.0.2:80")))), running);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("b");
        assertThat(r.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.winner().name()).isEqualTo("b");
            assertThat(c.reason()).contains("serving this address first");
        });
    }

    @Test
    void withinOneSourceTheFirstListedWins() {
        var r = SnapshotMerger.merge(List.of(new Snapshot("k", List.of(
                fe("old", ":80", "10.0.0.1:80"), fe("new", ":80", "10.0.0.2:80")))), DesiredState.EMPTY);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("old");
        assertThat(r.conflicts()).singleElement().extracting(Conflict::reason).isEqualTo("it is listed first");
    }

    @Test
    void differentHostsOnOnePortDoNotConflict() {
        var r = SnapshotMerger.merge(List.of(new Snapshot("k", List.of(
                fe("a", "127.0.0.1:80"), fe("b", "127.0.0.2:80"), fe("c", "@eth0:80")))), DesiredState.EMPTY);
        assertThat(r.conflicts()).isEmpty();
        assertThat(r.desired().frontends()).hasSize(3);
    }

    private static Frontend sni(String name, String bind, String... names) {
        return Frontend.builder(bind).name(name).sni(List.of(names)).backend("10.0.0.9:443").build();
    }

    @Test
    void frontendsWithDisjointServerNamesShareABindWithOneCatchAll() {
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(sni("grafana", ":443", "grafana.example.org"), fe("rest", ":443"))),
                new Snapshot("kubernetes", List.of(sni("apps", ":443", "*.apps.example.org")))), DesiredState.EMPTY);
        assertThat(r.conflicts()).isEmpty();
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("grafana", "rest", "apps");
    }

    @Test
    void aServerNameClaimedTwiceOnOneBindIsAConflictTheFirstWins() {
        var r = SnapshotMerger.merge(List.of(new Snapshot("k", List.of(
                sni("old", ":443", "a.example.org", "b.example.org"), sni("new", ":443", "B.example.org")))),
                DesiredState.EMPTY);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("old");
        assertThat(r.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.loser().name()).isEqualTo("new");
            assertThat(c.serverName()).isEqualTo("b.example.org");
            assertThat(c.toString()).contains("bind :443 server name b.example.org").contains("listed first");
        });
    }

    @Test
    void theSameServerNameOnTwoBindsDoesNotConflict() {
        var r = SnapshotMerger.merge(List.of(new Snapshot("k", List.of(
                sni("a", ":443", "a.example.org"), sni("b", ":8443", "a.example.org")))), DesiredState.EMPTY);
        assertThat(r.conflicts()).isEmpty();
        assertThat(r.desired().frontends()).hasSize(2);
    }

    @Test
    void theSourceAlreadyServingAServerNameKeepsIt() {
        DesiredState running = SnapshotMerger.merge(List.of(
                new Snapshot("kubernetes", List.of(sni("b", ":443", "x.example.org")))), DesiredState.EMPTY).desired();
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(sni("a", ":443", "x.example.org", "y.example.org"))),
                new Snapshot("kubernetes", List.of(sni("b", ":443", "x.example.org")))), running);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("b");
        assertThat(r.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.winner().name()).isEqualTo("b");
            assertThat(c.reason()).contains("serving this address first");
        });
    }

    @Test
    void twoCatchAllsOnASharedBindConflictAsTwoFrontendsOnOneBindDo() {
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(fe("a", ":443"), sni("s", ":443", "s.example.org"))),
                new Snapshot("kubernetes", List.of(fe("b", ":443")))), DesiredState.EMPTY);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("a", "s");
        assertThat(r.conflicts()).singleElement().satisfies(c -> assertThat(c.serverName()).isNull());
    }

    @Test
    void aDesiredStateRefusesANameTwiceOnOneBind() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DesiredState.of(
                sni("a", ":443", "a.example.org"), sni("b", ":443", "a.example.org")))
                .hasMessageContaining("server name a.example.org");
    }

    @Test
    void mergeIsDeterministic() {
        List<Snapshot> in = List.of(
                new Snapshot("a", List.of(fe("x", ":1"), fe("y", ":2"))),
                new Snapshot("b", List.of(fe("z", ":2"), fe("w", ":3"))));
        assertThat(SnapshotMerger.merge(in, DesiredState.EMPTY)).isEqualTo(SnapshotMerger.merge(in, DesiredState.EMPTY));
    }

    @Test
    void emptySnapshotWithdrawsEverything() {
        var r = SnapshotMerger.merge(List.of(new Snapshot("a", List.of())), DesiredState.of(fe("x", ":1")));
        assertThat(r.desired().frontends()).isEmpty();
    }

    @Test
    void tcpAndUdpOnOneBindDoNotConflict() {
        Frontend udp = Frontend.builder(":53").name("dns-udp").protocol(Protocol.UDP).backend("10.0.0.1:53").build();
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(fe("dns-tcp", ":53", "10.0.0.1:53"))),
                new Snapshot("kubernetes", List.of(udp))), DesiredState.EMPTY);
        assertThat(r.conflicts()).isEmpty();
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("dns-tcp", "dns-udp");
    }

    @Test
    void twoUdpFrontendsOnOneBindConflict() {
        Frontend a = Frontend.builder(":53").name("a").protocol(Protocol.UDP).build();
        Frontend b = Frontend.builder(":53").name("b").protocol(Protocol.UDP).build();
        var r = SnapshotMerger.merge(List.of(new Snapshot("file", List.of(a)), new Snapshot("kubernetes", List.of(b))),
                DesiredState.EMPTY);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("a");
        assertThat(r.conflicts()).hasSize(1);
    }

    @Test
    void udpDefaultsAreSixtySecondsIdleAndNoProbes() {
        Frontend udp = Frontend.builder(":53").protocol(Protocol.UDP).build();
        assertThat(udp.idleTimeout()).isEqualTo(Frontend.DEFAULT_UDP_IDLE_TIMEOUT);
        assertThat(udp.health().enabled()).isFalse();
        assertThat(fe("t", ":53").protocol()).isEqualTo(Protocol.TCP);
        assertThat(fe("t", ":53").idleTimeout()).isEqualTo(Frontend.DEFAULT_IDLE_TIMEOUT);
    }

    @Test
    void aUdpFrontendOnABindSharedByServerNamesConflictsWithNone() {
        Frontend udp = Frontend.builder(":443").name("quic").protocol(Protocol.UDP).backend("10.0.0.1:443").build();
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(sni("grafana", ":443", "grafana.example.org"), fe("rest", ":443"))),
                new Snapshot("kubernetes", List.of(udp))), DesiredState.EMPTY);
        assertThat(r.conflicts()).isEmpty();
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("grafana", "rest", "quic");
    }

    @Test
    void aUdpFrontendOnASharedBindStillConflictsWithAnotherUdpFrontend() {
        Frontend a = Frontend.builder(":443").name("a").protocol(Protocol.UDP).build();
        Frontend b = Frontend.builder(":443").name("b").protocol(Protocol.UDP).build();
        var r = SnapshotMerger.merge(List.of(
                new Snapshot("file", List.of(sni("s", ":443", "s.example.org"), a)),
                new Snapshot("kubernetes", List.of(b))), DesiredState.EMPTY);
        assertThat(r.desired().frontends()).extracting(Frontend::name).containsExactly("s", "a");
        assertThat(r.conflicts()).singleElement().satisfies(c -> {
            assertThat(c.loser().name()).isEqualTo("b");
            assertThat(c.serverName()).isNull();
        });
    }

    @Test
    void serverNamesOnAUdpFrontendAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Frontend.builder(":443").protocol(Protocol.UDP)
                        .sni(List.of("a.example.org")).build())
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("sni applies to TCP frontends only");
    }

    @Test
    void aDesiredStateTakesTheSameServerNameOnceAndAUdpFrontendOnItsBind() {
        Frontend udp = Frontend.builder(":443").name("quic").protocol(Protocol.UDP).build();
        assertThat(DesiredState.of(sni("a", ":443", "a.example.org"), fe("rest", ":443"), udp).frontends()).hasSize(3);
    }
}

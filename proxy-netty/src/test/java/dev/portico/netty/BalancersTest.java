package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Backend;
import dev.portico.api.BalancePolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BalancersTest {

    record C(Backend backend, int activeConnections) implements Balancer.Candidate {
    }

    private static List<C> cands(int... weightsAndActive) {
        List<C> out = new ArrayList<>();
        for (int i = 0; i < weightsAndActive.length; i += 2) {
            out.add(new C(new Backend("10.0.0." + (i / 2 + 1), 80, weightsAndActive[i]), weightsAndActive[i + 1]));
        }
        return out;
    }

    @Test
    void roundRobinVisitsInTurnByWeight() {
        Balancer rr = Balancers.of(BalancePolicy.ROUND_ROBIN);
        List<C> c = cands(1, 0, 2, 0);
        int[] counts = new int[2];
        for (int i = 0; i < 300; i++) {
            counts[rr.pick(c, null)]++;
        }
        assertThat(counts).containsExactly(100, 200);
    }

    @Test
    void randomHonoursZeroWeight() {
        Balancer r = Balancers.of(BalancePolicy.RANDOM);
        List<C> c = cands(0, 0, 1, 0, 0, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(r.pick(c, null)).isEqualTo(1);
        }
        assertThat(r.pick(cands(0, 0), null)).isEqualTo(-1);
    }

    @Test
    void randomSpreadsOverAll() {
        Balancer r = Balancers.of(BalancePolicy.RANDOM);
        List<C> c = cands(1, 0, 1, 0, 1, 0);
        boolean[] seen = new boolean[3];
        for (int i = 0; i < 1000; i++) {
            seen[r.pick(c, null)] = true;
        }
        assertThat(seen).containsOnly(true);
    }

    @Test
    void leastConnectionsTakesTheLeastLoadedPerWeight() {
        Balancer lc = Balancers.of(BalancePolicy.LEAST_CONNECTIONS);
        assertThat(lc.pick(cands(1, 5, 1, 2, 1, 7), null)).isEqualTo(1);
        // 6 connections at weight 3 (2 per unit) beat 3 at weight 1.
        assertThat(lc.pick(cands(1, 3, 3, 6), null)).isEqualTo(1);
        assertThat(lc.pick(cands(0, 0, 1, 9), null)).isEqualTo(1);
    }

    @Test
    void sourceHashKeepsAClientOnItsBackend() throws Exception {
        Balancer h = Balancers.of(BalancePolicy.SOURCE_HASH);
        List<C> c = cands(1, 0, 1, 0, 1, 0);
        java.net.InetSocketAddress client = new java.net.InetSocketAddress(java.net.InetAddress.getByName("192.0.2.7"), 1);
        int first = h.pick(c, client);
        for (int i = 0; i < 50; i++) {
            // The client port changes per connection; the backend does not.
            assertThat(h.pick(c, new java.net.InetSocketAddress(client.getAddress(), 1000 + i))).isEqualTo(first);
        }
    }

    @Test
    void addingABackendMovesAboutOneNthOfClientsAndOnlyToIt() throws Exception {
        Balancer h = Balancers.of(BalancePolicy.SOURCE_HASH);
        int n = 5;
        List<C> before = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            before.add(new C(new Backend("10.0.0." + (i + 1), 80), 0));
        }
        List<C> after = new ArrayList<>(before);
        after.add(new C(new Backend("10.0.0.99", 80), 0));
        int clients = 20_000;
        int moved = 0;
        for (int i = 0; i < clients; i++) {
            byte[] ip = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            java.net.InetSocketAddress a = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ip), 1);
            Backend was = before.get(h.pick(before, a)).backend();
            Backend now = after.get(h.pick(after, a)).backend();
            if (!was.equals(now)) {
                moved++;
                assertThat(now.host()).as("a moved client goes to the new backend only").isEqualTo("10.0.0.99");
            }
        }
        // Ideal share: 1/(n+1) = 16.7 %; allow for hashing noise.
        assertThat(moved / (double) clients).isBetween(0.13, 0.21);
    }

    @Test
    void removingABackendMovesOnlyItsClients() throws Exception {
        Balancer h = Balancers.of(BalancePolicy.SOURCE_HASH);
        List<C> before = cands(1, 0, 1, 0, 1, 0, 1, 0);
        List<C> after = new ArrayList<>(before);
        C removed = after.remove(2);
        for (int i = 0; i < 5000; i++) {
            byte[] ip = {(byte) 172, 16, (byte) (i >> 8), (byte) i};
            java.net.InetSocketAddress a = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ip), 1);
            Backend was = before.get(h.pick(before, a)).backend();
            if (!was.equals(removed.backend())) {
                assertThat(after.get(h.pick(after, a)).backend()).isEqualTo(was);
            }
        }
    }

    @Test
    void sourceHashHonoursWeights() throws Exception {
        Balancer h = Balancers.of(BalancePolicy.SOURCE_HASH);
        List<C> c = cands(1, 0, 3, 0);
        int[] counts = new int[2];
        for (int i = 0; i < 20_000; i++) {
            byte[] ip = {10, 9, (byte) (i >> 8), (byte) i};
            counts[h.pick(c, new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ip), 1))]++;
        }
        assertThat(counts[1] / (double) counts[0]).isBetween(2.5, 3.5);
    }

    @Test
    void policyNamesRoundTrip() {
        for (BalancePolicy p : BalancePolicy.values()) {
            assertThat(BalancePolicy.fromConfigName(p.configName())).isEqualTo(p);
        }
        assertThat(BalancePolicy.fromConfigName("least-conn")).isEqualTo(BalancePolicy.LEAST_CONNECTIONS);
        assertThat(BalancePolicy.fromConfigName("round_robin")).isEqualTo(BalancePolicy.ROUND_ROBIN);
    }
}

package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;

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
        Balancer rr = BalancePolicy.ROUND_ROBIN.newBalancer();
        List<C> c = cands(1, 0, 2, 0);
        int[] counts = new int[2];
        for (int i = 0; i < 300; i++) {
            counts[rr.pick(c, null)]++;
        }
        assertThat(counts).containsExactly(100, 200);
    }

    @Test
    void randomHonoursZeroWeight() {
        Balancer r = BalancePolicy.RANDOM.newBalancer();
        List<C> c = cands(0, 0, 1, 0, 0, 0);
        for (int i = 0; i < 100; i++) {
            assertThat(r.pick(c, null)).isEqualTo(1);
        }
        assertThat(r.pick(cands(0, 0), null)).isEqualTo(-1);
    }

    @Test
    void randomSpreadsOverAll() {
        Balancer r = BalancePolicy.RANDOM.newBalancer();
        List<C> c = cands(1, 0, 1, 0, 1, 0);
        boolean[] seen = new boolean[3];
        for (int i = 0; i < 1000; i++) {
            seen[r.pick(c, null)] = true;
        }
        assertThat(seen).containsOnly(true);
    }

    @Test
    void leastConnectionsTakesTheLeastLoadedPerWeight() {
        Balancer lc = BalancePolicy.LEAST_CONNECTIONS.newBalancer();
        assertThat(lc.pick(cands(1, 5, 1, 2, 1, 7), null)).isEqualTo(1);
        // 6 connections at weight 3 (2 per unit) beat 3 at weight 1.
        assertThat(lc.pick(cands(1, 3, 3, 6), null)).isEqualTo(1);
        assertThat(lc.pick(cands(0, 0, 1, 9), null)).isEqualTo(1);
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

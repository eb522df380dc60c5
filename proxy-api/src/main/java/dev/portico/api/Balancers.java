package dev.portico.api;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** The built-in balancers; all honour weights (weight 0 takes no new connections). */
public final class Balancers {

    private Balancers() {
    }

    private static int totalWeight(List<? extends Balancer.Candidate> candidates) {
        int total = 0;
        for (Balancer.Candidate c : candidates) {
            total += c.backend().weight();
        }
        return total;
    }

    /** The candidate whose cumulative weight range holds {@code point} (0 &lt;= point &lt; total). */
    private static int byWeight(List<? extends Balancer.Candidate> candidates, long point) {
        long acc = 0;
        for (int i = 0; i < candidates.size(); i++) {
            acc += candidates.get(i).backend().weight();
            if (point < acc) {
                return i;
            }
        }
        return -1;
    }

    /** Weighted random choice, l4proxy's behaviour. */
    public static Balancer random() {
        return (candidates, client) -> {
            int total = totalWeight(candidates);
            return total == 0 ? -1 : byWeight(candidates, ThreadLocalRandom.current().nextInt(total));
        };
    }

    /** Weighted round-robin over the current candidates. */
    public static Balancer roundRobin() {
        AtomicLong next = new AtomicLong();
        return (candidates, client) -> {
            int total = totalWeight(candidates);
            return total == 0 ? -1 : byWeight(candidates, Math.floorMod(next.getAndIncrement(), total));
        };
    }

    /** Fewest open connections per unit of weight; ties go to a random one of the least loaded. */
    public static Balancer leastConnections() {
        return (candidates, client) -> {
            int best = -1;
            int ties = 0;
            long bestLoadNum = 0;
            long bestLoadDen = 1;
            for (int i = 0; i < candidates.size(); i++) {
                Balancer.Candidate c = candidates.get(i);
                int w = c.backend().weight();
                if (w == 0) {
                    continue;
                }
                long num = c.activeConnections();
                // compare num/w with bestLoadNum/bestLoadDen without division
                long cmp = best < 0 ? -1 : Long.compare(num * bestLoadDen, bestLoadNum * w);
                if (cmp < 0) {
                    best = i;
                    bestLoadNum = num;
                    bestLoadDen = w;
                    ties = 1;
                } else if (cmp == 0 && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                    best = i;
                }
            }
            return best;
        };
    }

}

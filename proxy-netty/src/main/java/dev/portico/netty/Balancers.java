package dev.portico.netty;

import dev.portico.api.Backend;
import dev.portico.api.BalancePolicy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** The built-in balancers; all honour weights (weight 0 takes no new connections). */
final class Balancers {

    private Balancers() {
    }

    /** A new balancer of this policy for one frontend. */
    static Balancer of(BalancePolicy policy) {
        return switch (policy) {
            case RANDOM -> random();
            case ROUND_ROBIN -> roundRobin();
            case LEAST_CONNECTIONS -> leastConnections();
            case SOURCE_HASH -> sourceHash();
        };
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
    static Balancer random() {
        return (candidates, client) -> {
            int total = totalWeight(candidates);
            return total == 0 ? -1 : byWeight(candidates, ThreadLocalRandom.current().nextInt(total));
        };
    }

    /** Weighted round-robin over the current candidates. */
    static Balancer roundRobin() {
        AtomicLong next = new AtomicLong();
        return (candidates, client) -> {
            int total = totalWeight(candidates);
            return total == 0 ? -1 : byWeight(candidates, Math.floorMod(next.getAndIncrement(), total));
        };
    }

    /** Fewest open connections per unit of weight; ties go to a random one of the least loaded. */
    static Balancer leastConnections() {
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


    /**
     * Weighted rendezvous hashing of the client's IP address: each backend scores
     * {@code -weight / ln(u)} with {@code u} a uniform hash of (client, backend) in (0, 1); the highest
     * wins. Removing a backend moves only its own clients; adding one takes about 1/N of them.
     */
    static Balancer sourceHash() {
        return (candidates, client) -> {
            long key = client == null || client.getAddress() == null ? 0 : hashBytes(client.getAddress().getAddress());
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < candidates.size(); i++) {
                Backend b = candidates.get(i).backend();
                if (b.weight() == 0) {
                    continue;
                }
                long h = mix(key ^ mix(b.host().hashCode() * 31L + b.port()));
                double u = ((h >>> 11) + 1) / (double) (1L << 53); // (0, 1]
                double score = u >= 1.0 ? Double.POSITIVE_INFINITY : -b.weight() / Math.log(u);
                if (score > bestScore) {
                    bestScore = score;
                    best = i;
                }
            }
            return best;
        };
    }

    private static long hashBytes(byte[] bytes) {
        long h = 0x9E3779B97F4A7C15L;
        for (byte x : bytes) {
            h = mix(h ^ (x & 0xff));
        }
        return h;
    }

    /** SplitMix64's finaliser: a cheap, well-spread 64-bit mix. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

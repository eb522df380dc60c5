package dev.portico.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Merges the latest snapshot of every source into one desired state. Pure: the same inputs give
 * the same output. What a frontend claims is its listener, the bind address and protocol
 * ({@link Frontend#listen()}), together with each of its TLS server names ({@link Frontend#sni()},
 * TCP only), or the listener alone when it has none; two frontends that claim the same
 * (protocol, bind, name) conflict, so frontends with disjoint names share a bind, and a TCP and a
 * UDP frontend on one address never conflict. The winner is, in order: the one from the source
 * already serving that claim (so a newcomer never takes an address away from a running frontend),
 * the one from the source registered first, the one listed first by its source (a source that
 * orders by age, as the Kubernetes source does, makes the oldest win). A loser is dropped whole,
 * not stripped of the contested names.
 *
 * <p>The one judge of bind conflicts: {@link SourceCoordinator} merges with it, and a source that
 * reports its own conflicts asks it through {@link Snapshot#conflicts()}.
 */
final class SnapshotMerger {

    private SnapshotMerger() {
    }

    /** The merged state and the conflicts resolved on the way. */
    record Result(DesiredState desired, List<Conflict> conflicts) {
        public Result {
            conflicts = List.copyOf(conflicts);
        }
    }

    /**
     * @param snapshots one per source, in source registration order
     * @param previous  the state that runs now ({@link DesiredState#EMPTY} at first)
     */
    static Result merge(List<Snapshot> snapshots, DesiredState previous) {
        Map<String, String> incumbents = new HashMap<>();
        for (Frontend f : previous.frontends()) {
            for (String claim : claims(f)) {
                incumbents.put(claim, f.source());
            }
        }
        Map<String, Integer> slot = new HashMap<>();
        List<Frontend> out = new ArrayList<>();
        List<Conflict> conflicts = new ArrayList<>();
        for (Snapshot snapshot : snapshots) {
            for (Frontend raw : snapshot.frontends()) {
                Frontend f = raw.source().equals(snapshot.source()) ? raw
                        : raw.toBuilder().source(snapshot.source()).build();
                if (f.bind().port() == 0) {
                    out.add(f);
                    continue;
                }
                // Holder index -> the first claim it contests with f.
                Map<Integer, String> contested = new LinkedHashMap<>();
                for (String claim : claims(f)) {
                    Integer at = slot.get(claim);
                    if (at != null) {
                        contested.putIfAbsent(at, claim);
                    }
                }
                Integer beatenBy = null;
                for (Map.Entry<Integer, String> c : contested.entrySet()) {
                    if (!takesOver(f, out.get(c.getKey()), incumbents.get(c.getValue()))) {
                        beatenBy = c.getKey();
                        break;
                    }
                }
                if (beatenBy != null) {
                    Frontend held = out.get(beatenBy);
                    String incumbent = incumbents.get(contested.get(beatenBy));
                    String reason = held.source().equals(f.source()) ? "it is listed first"
                            : held.source().equals(incumbent) ? "it was serving this address first"
                            : "its source was registered first";
                    conflicts.add(new Conflict(f.bind(), held, f, reason, serverName(contested.get(beatenBy))));
                    continue;
                }
                for (Map.Entry<Integer, String> c : contested.entrySet()) {
                    Frontend held = out.get(c.getKey());
                    out.set(c.getKey(), null);
                    for (String claim : claims(held)) {
                        slot.remove(claim);
                    }
                    conflicts.add(new Conflict(f.bind(), f, held, "it was serving this address first",
                            serverName(c.getValue())));
                }
                for (String claim : claims(f)) {
                    slot.put(claim, out.size());
                }
                out.add(f);
            }
        }
        return new Result(new DesiredState(out.stream().filter(Objects::nonNull).toList()), conflicts);
    }

    /** Whether {@code f} displaces {@code held}: only a source already serving the claim takes it back. */
    private static boolean takesOver(Frontend f, Frontend held, String incumbentSource) {
        return !held.source().equals(f.source()) && f.source().equals(incumbentSource);
    }

    private static List<String> claims(Frontend f) {
        if (f.sni().isEmpty()) {
            return List.of(f.listen().toString());
        }
        List<String> out = new ArrayList<>(f.sni().size());
        for (String name : f.sni()) {
            out.add(f.listen() + " " + name);
        }
        return out;
    }

    private static String serverName(String claim) {
        int space = claim.indexOf(' ');
        return space < 0 ? null : claim.substring(space + 1);
    }
}

package dev.portico.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the latest snapshot of every source into one desired state. Pure: the same inputs give
 * the same output. Two frontends on one bind address and protocol conflict (a TCP and a UDP
 * frontend on one address do not); the winner is, in order: the one
 * from the source already serving that bind (so a newcomer never takes an address away from a
 * running frontend), the one from the source registered first, the one listed first by its
 * source (a source that orders by age, as the Kubernetes source does, makes the oldest win).
 */
public final class SnapshotMerger {

    private SnapshotMerger() {
    }

    /** The merged state and the conflicts resolved on the way. */
    public record Result(DesiredState desired, List<Conflict> conflicts) {
        public Result {
            conflicts = List.copyOf(conflicts);
        }
    }

    /**
     * @param snapshots one per source, in source registration order
     * @param previous  the state that runs now ({@link DesiredState#EMPTY} at first)
     */
    public static Result merge(List<Snapshot> snapshots, DesiredState previous) {
        Map<Frontend.Listen, Frontend> incumbents = new HashMap<>();
        for (Frontend f : previous.frontends()) {
            incumbents.put(f.listen(), f);
        }
        Map<Frontend.Listen, Integer> slot = new HashMap<>();
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
                Integer at = slot.get(f.listen());
                if (at == null) {
                    slot.put(f.listen(), out.size());
                    out.add(f);
                    continue;
                }
                Frontend held = out.get(at);
                Frontend incumbent = incumbents.get(f.listen());
                boolean sameSource = held.source().equals(f.source());
                if (!sameSource && incumbent != null && incumbent.source().equals(f.source())) {
                    out.set(at, f);
                    conflicts.add(new Conflict(f.bind(), f, held, "it was serving this address first"));
                } else {
                    String reason = sameSource ? "it is listed first"
                            : incumbent != null && incumbent.source().equals(held.source())
                            ? "it was serving this address first" : "its source was registered first";
                    conflicts.add(new Conflict(f.bind(), held, f, reason));
                }
            }
        }
        return new Result(new DesiredState(out), conflicts);
    }
}

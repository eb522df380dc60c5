package dev.portico.api;

import java.util.List;
import java.util.Optional;

/**
 * What the engine should run: the merge of every source's snapshot, each bind address at most once
 * per protocol.
 *
 * @param frontends in a deterministic order (source order, then each source's own order)
 */
public record DesiredState(List<Frontend> frontends) {
    public static final DesiredState EMPTY = new DesiredState(List.of());

    public DesiredState {
        frontends = List.copyOf(frontends);
        java.util.Set<Frontend.Listen> seen = new java.util.HashSet<>();
        for (Frontend f : frontends) {
            if (f.bind().port() != 0 && !seen.add(f.listen())) {
                throw new IllegalArgumentException("bind " + f.listen() + " appears twice in a desired state; merge "
                        + "snapshots with SnapshotMerger");
            }
        }
    }

    public static DesiredState of(Frontend... frontends) {
        return new DesiredState(List.of(frontends));
    }

    public Optional<Frontend> frontend(BindAddress bind) {
        return frontends.stream().filter(f -> f.bind().equals(bind)).findFirst();
    }
}

package dev.portico.api;

import java.util.List;

/**
 * The benchmarks' door to the merge, which is package-private in proxy-api (users reach it only
 * through {@link SourceCoordinator} and {@link Snapshot#conflicts()}); measuring it alone needs a
 * class in its package.
 */
public final class MergeProbe {

    private MergeProbe() {
    }

    /** Merges as the coordinator does and returns the merged state. */
    public static DesiredState merge(List<Snapshot> snapshots, DesiredState previous) {
        return SnapshotMerger.merge(snapshots, previous).desired();
    }
}

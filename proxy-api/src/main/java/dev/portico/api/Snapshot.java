package dev.portico.api;

import java.util.List;
import java.util.Objects;

/**
 * Everything one source wants right now: level-triggered, never a delta. Publishing a snapshot
 * without a frontend withdraws it.
 *
 * @param source    the publishing source's name
 * @param frontends the complete list, in the source's own order
 */
public record Snapshot(String source, List<Frontend> frontends) {
    /**
     * Copies the list, so a snapshot never changes after it is published.
     *
     * @param source    the publishing source's name
     * @param frontends the complete list, in the source's own order
     */
    public Snapshot {
        Objects.requireNonNull(source, "source");
        frontends = List.copyOf(frontends);
    }

    /**
     * The bind conflicts among this snapshot's own frontends, judged as {@link SourceCoordinator}
     * judges them when it merges sources (the frontend listed first wins), so a source that wants to
     * tell its own users about them (the Kubernetes source posts Events) reports the same decision
     * rather than making its own.
     *
     * @return one conflict per frontend left out, in list order; empty when every bind is held once
     */
    public List<Conflict> conflicts() {
        return SnapshotMerger.merge(List.of(this), DesiredState.EMPTY).conflicts();
    }
}

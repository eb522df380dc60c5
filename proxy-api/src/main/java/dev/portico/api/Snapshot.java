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
    public Snapshot {
        Objects.requireNonNull(source, "source");
        frontends = List.copyOf(frontends);
    }
}

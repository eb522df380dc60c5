package dev.portico.api;

import java.util.List;
import java.util.Optional;

/**
 * What the engine should run: the merge of every source's snapshot. A bind address is held, per
 * protocol, by at most one frontend without server names (its own, or the catch-all of a shared TCP
 * bind) and by any number of TCP frontends with {@link Frontend#sni() server names}, each name at most
 * once per bind.
 *
 * @param frontends in a deterministic order (source order, then each source's own order)
 */
public record DesiredState(List<Frontend> frontends) {
    /** Nothing to run: applying it closes every listener. */
    public static final DesiredState EMPTY = new DesiredState(List.of());

    /**
     * Checks the rules above; a {@link SourceCoordinator} merges snapshots so that they hold.
     *
     * @param frontends the frontends to run, copied; frontends on port 0 (any free port) never clash
     * @throws IllegalArgumentException when a bind (or a server name on a bind) appears twice, or a
     *                                  frontend accepting PROXY headers shares its bind by server name
     */
    public DesiredState {
        frontends = List.copyOf(frontends);
        java.util.Set<String> seen = new java.util.HashSet<>();
        java.util.Set<Frontend.Listen> shared = new java.util.HashSet<>();
        for (Frontend f : frontends) {
            if (!f.sni().isEmpty()) {
                shared.add(f.listen());
            }
            if (f.bind().port() == 0) {
                continue;
            }
            for (String name : f.sni().isEmpty() ? List.of("") : f.sni()) {
                if (!seen.add(f.listen() + " " + name)) {
                    throw new IllegalArgumentException("bind " + f.listen() + (name.isEmpty() ? "" : " server name "
                            + name) + " appears twice in a desired state; let a SourceCoordinator merge the snapshots");
                }
            }
        }
        for (Frontend f : frontends) {
            if (f.acceptProxy().enabled() && shared.contains(f.listen()) && f.bind().port() != 0) {
                throw new IllegalArgumentException("frontend " + f.name() + " accepts PROXY headers on bind " + f.bind()
                        + ", which is shared by server name; acceptProxy cannot be combined with sni");
            }
        }
    }

    /**
     * A desired state of these frontends, in this order.
     *
     * @param frontends the frontends to run
     * @return the state
     * @throws IllegalArgumentException as the constructor
     */
    public static DesiredState of(Frontend... frontends) {
        return new DesiredState(List.of(frontends));
    }

    Optional<Frontend> frontend(BindAddress bind) {
        return frontends.stream().filter(f -> f.bind().equals(bind)).findFirst();
    }
}

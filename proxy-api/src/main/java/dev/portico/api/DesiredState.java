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
    public static final DesiredState EMPTY = new DesiredState(List.of());

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

    public static DesiredState of(Frontend... frontends) {
        return new DesiredState(List.of(frontends));
    }

    public Optional<Frontend> frontend(BindAddress bind) {
        return frontends.stream().filter(f -> f.bind().equals(bind)).findFirst();
    }
}

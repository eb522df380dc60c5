package dev.portico.api;

import java.util.List;
import java.util.Objects;

/** {@link BackendSource#fixed}: publishes its frontends once, on start. */
final class FixedSource implements BackendSource {
    private final String name;
    private final List<Frontend> frontends;

    FixedSource(String name, List<Frontend> frontends) {
        this.name = Objects.requireNonNull(name, "name");
        this.frontends = List.copyOf(frontends);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(Listener listener) {
        listener.onSnapshot(new Snapshot(name, frontends));
    }

    @Override
    public void close() {
        // Nothing runs.
    }

    @Override
    public String toString() {
        return "fixed source " + name + " (" + frontends.size() + " frontends)";
    }
}

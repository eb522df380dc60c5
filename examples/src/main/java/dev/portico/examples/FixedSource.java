package dev.portico.examples;

import dev.portico.api.BackendSource;
import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import java.util.List;

/** A source whose frontends are given in code and never change: the demo's, and tests'. */
public final class FixedSource implements BackendSource {
    private final String name;
    private final List<Frontend> frontends;

    public FixedSource(String name, List<Frontend> frontends) {
        this.name = name;
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
}

package dev.portico.discovery.kubernetes;

import dev.portico.api.BackendSource;
import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps everything a source reports, for assertions. */
final class RecordingListener implements BackendSource.Listener {
    final List<Snapshot> snapshots = new CopyOnWriteArrayList<>();
    final List<SourceError> errors = new CopyOnWriteArrayList<>();
    final List<String> recovered = new CopyOnWriteArrayList<>();

    @Override
    public void onSnapshot(Snapshot snapshot) {
        snapshots.add(snapshot);
    }

    @Override
    public void onError(SourceError error) {
        errors.add(error);
    }

    @Override
    public void onRecovered(String source, String place) {
        recovered.add(place);
    }

    /** The last snapshot, or null before the first. */
    Snapshot last() {
        return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
    }

    /** The last snapshot's frontends; empty before the first. */
    List<Frontend> frontends() {
        Snapshot s = last();
        return s == null ? List.of() : s.frontends();
    }

    /** The last snapshot's frontends written {@code bind -> backend,backend}, for compact assertions. */
    List<String> summary() {
        return frontends().stream()
                .map(f -> f.listen() + " -> " + String.join(",", f.backends().stream().map(b -> b.address()).toList()))
                .toList();
    }

    List<String> errorTexts() {
        return errors.stream().map(SourceError::toString).toList();
    }
}

package dev.portico.discovery.file;

import dev.portico.api.Backend;
import dev.portico.api.BackendSource;
import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects what a source delivers, for assertions from the test thread. */
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

    Snapshot last() {
        return snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1);
    }

    /** The last snapshot as {@code bind=backend,backend} strings, in order. */
    List<String> served() {
        Snapshot s = last();
        return s == null ? null : describe(s);
    }

    static List<String> describe(Snapshot s) {
        return s.frontends().stream().map(RecordingListener::describe).toList();
    }

    static String describe(Frontend f) {
        return f.bind() + "=" + String.join(",", f.backends().stream().map(Backend::address).toList());
    }

    List<String> errorTexts() {
        return errors.stream().map(SourceError::toString).toList();
    }
}

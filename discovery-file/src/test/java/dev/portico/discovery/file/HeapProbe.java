package dev.portico.discovery.file;

import dev.portico.api.BackendSource;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Run in a child JVM with a small heap by {@link HeapBoundTest}: reads the given paths once as the
 * router would and prints what it got, one line per snapshot or error.
 */
public final class HeapProbe {

    private HeapProbe() {
    }

    public static void main(String[] args) {
        FileBackendSource source = new FileBackendSource(Arrays.stream(args).map(Path::of).toList());
        source.start(new BackendSource.Listener() {
            @Override
            public void onSnapshot(Snapshot snapshot) {
                System.out.println("snapshot " + snapshot.frontends().size() + " frontends "
                        + snapshot.frontends().stream().mapToInt(f -> f.backends().size()).sum() + " backends");
            }

            @Override
            public void onError(SourceError error) {
                System.out.println("error " + error);
            }

            @Override
            public void onRecovered(String name, String place) {
                System.out.println("recovered " + place);
            }
        });
        source.close();
        System.out.println("done");
    }
}

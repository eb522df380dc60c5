package dev.portico.api;

import java.util.List;

/**
 * A discovery source: files, Kubernetes, or code. A source publishes its complete desired
 * frontends every time anything changes (never deltas) and reports problems without withdrawing
 * what it published before, so the last good configuration keeps serving.
 *
 * <p>Sources call their listener on their own threads; the listener serialises.
 */
public interface BackendSource extends AutoCloseable {

    /**
     * A source whose frontends are given in code and never change: a demo's, a test's, or a program
     * that knows its few routes. It publishes them once, on {@link #start}.
     *
     * @param name      the source's name
     * @param frontends the frontends to publish
     * @return a source that is not started yet
     */
    static BackendSource fixed(String name, List<Frontend> frontends) {
        return new FixedSource(name, frontends);
    }

    /**
     * The source's name, which its snapshots and errors carry.
     *
     * @return a short, stable name for logs, metrics and conflict reports ({@code file}, {@code kubernetes})
     */
    String name();

    /**
     * Starts watching and publishes the first snapshot as soon as it is known. Does not block for
     * long: a source whose backing system is unreachable reports that and keeps retrying.
     *
     * @param listener receives every snapshot and error from now until {@link #close}; a source is
     *                 started once
     */
    void start(Listener listener);

    /** Stops watching; publishes nothing afterwards. */
    @Override
    void close();

    /** Receives a source's snapshots and errors. */
    interface Listener {
        /**
         * The complete set of frontends the source wants now.
         *
         * @param snapshot replaces everything the source published before
         */
        void onSnapshot(Snapshot snapshot);

        /**
         * Something the source could not use (a bad file, a Service with a bad annotation, a lost
         * connection). Nothing is withdrawn because of it.
         *
         * @param error what is wrong and where
         */
        void onError(SourceError error);

        /**
         * The problems about {@code subject} are over, for status; optional.
         *
         * @param source  the source's name
         * @param subject the {@link SourceError#subject()} of the errors that are over; null for all of them
         */
        default void onRecovered(String source, String subject) {
        }
    }
}

package dev.portico.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wires sources to an engine: keeps each source's latest snapshot, merges them and applies the
 * result on one control thread, so {@link ForwardingEngine#apply} is never called concurrently and
 * a burst of snapshots costs one apply. Conflicts and source errors go to {@link ProxyEvents}.
 */
public final class SourceCoordinator implements AutoCloseable {

    private final ForwardingEngine engine;
    private final ProxyEvents events;
    private final List<BackendSource> sources = new ArrayList<>();
    private final Map<String, Snapshot> latest = new ConcurrentHashMap<>();
    private final Map<String, SourceError> lastErrors = new ConcurrentHashMap<>();
    private final AtomicBoolean pending = new AtomicBoolean();
    private final CompletableFuture<ApplyResult> firstApplied = new CompletableFuture<>();
    private final ExecutorService control = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "portico-control");
        t.setDaemon(true);
        return t;
    });
    // Only touched on the control thread.
    private volatile DesiredState running = DesiredState.EMPTY;
    private Set<List<Object>> reportedConflicts = Set.of();
    private volatile long generation;

    /**
     * A coordinator with no sources yet.
     *
     * @param engine the engine to apply to; the caller closes it, after the coordinator
     * @param events receives the applies, conflicts and source errors
     */
    public SourceCoordinator(ForwardingEngine engine, ProxyEvents events) {
        this.engine = engine;
        this.events = events;
    }

    /**
     * Registers a source, before {@link #start}; registration order decides conflicts between
     * sources (the first registered wins a bind).
     *
     * @param source a source not started yet; the coordinator starts and closes it
     * @return this coordinator
     * @throws IllegalArgumentException when a source of the same name is registered already
     */
    public synchronized SourceCoordinator add(BackendSource source) {
        for (BackendSource s : sources) {
            if (s.name().equals(source.name())) {
                throw new IllegalArgumentException("a source named '" + source.name() + "' is already registered");
            }
        }
        sources.add(source);
        return this;
    }

    /** Starts every registered source. */
    public synchronized void start() {
        for (BackendSource source : sources) {
            source.start(new Listener(source.name()));
        }
    }

    /**
     * The desired state applied last.
     *
     * @return the merge of the sources' snapshots; {@link DesiredState#EMPTY} before the first apply
     */
    public DesiredState current() {
        return running;
    }

    /**
     * How many merges have been applied; a test or a status page can wait for it to move.
     *
     * @return 0 before the first apply, then one more per apply
     */
    public long generation() {
        return generation;
    }

    /**
     * Completes with the result of the first apply, after the events listener has seen it: a
     * program waits on it (with a bound: a source may never publish) before it reports itself
     * ready. Fails if the coordinator is closed first. Each call returns its own copy, so a caller
     * completing it changes nothing here.
     *
     * @return a future of the first apply's result
     */
    public CompletableFuture<ApplyResult> firstApply() {
        return firstApplied.copy();
    }

    /**
     * The problems the sources report now, for status.
     *
     * @return by source name, the last error each source reported and has not recovered from; a copy
     */
    public Map<String, SourceError> lastErrors() {
        return Map.copyOf(lastErrors);
    }

    private void schedule() {
        if (pending.compareAndSet(false, true)) {
            control.execute(this::reconcile);
        }
    }

    private void reconcile() {
        pending.set(false);
        try {
            mergeAndApply();
        } catch (RuntimeException e) {
            // The engine keeps what it ran; the next snapshot retries.
            events.onConfigRejected(new SourceError("engine", "", "could not apply the configuration: " + e, null));
        }
    }

    private void mergeAndApply() {
        List<Snapshot> ordered = new ArrayList<>();
        List<BackendSource> order;
        synchronized (this) {
            order = List.copyOf(sources);
        }
        for (BackendSource s : order) {
            Snapshot snap = latest.get(s.name());
            if (snap != null) {
                ordered.add(snap);
            }
        }
        SnapshotMerger.Result merged = SnapshotMerger.merge(ordered, running);
        Map<List<Object>, Conflict> byKey = new LinkedHashMap<>();
        for (Conflict c : merged.conflicts()) {
            byKey.put(key(c), c);
        }
        for (Map.Entry<List<Object>, Conflict> e : byKey.entrySet()) {
            if (!reportedConflicts.contains(e.getKey())) {
                events.onConflict(e.getValue());
            }
        }
        reportedConflicts = byKey.keySet();
        ApplyResult result = engine.apply(merged.desired());
        running = merged.desired();
        generation++;
        events.onConfigApplied(result);
        firstApplied.complete(result);
    }

    /**
     * Who lost what to whom; not the reason, which changes from "registered first" to "serving
     * first" once the winner is running, while the conflict is the same one.
     */
    private static List<Object> key(Conflict c) {
        return List.of(c.winner().listen(), String.valueOf(c.serverName()), c.winner().source(), c.winner().origin(),
                c.winner().name(), c.loser().source(), c.loser().origin(), c.loser().name());
    }

    /** Stops the sources and the control thread; the engine is the caller's to close. */
    @Override
    public void close() {
        List<BackendSource> order;
        synchronized (this) {
            order = List.copyOf(sources);
        }
        for (BackendSource s : order) {
            s.close();
        }
        control.shutdown();
        firstApplied.completeExceptionally(new IllegalStateException(
                "the coordinator was closed before a configuration was applied"));
        try {
            if (!control.awaitTermination(10, TimeUnit.SECONDS)) {
                control.shutdownNow();
            }
        } catch (InterruptedException e) {
            control.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private final class Listener implements BackendSource.Listener {
        private final String name;

        Listener(String name) {
            this.name = name;
        }

        @Override
        public void onSnapshot(Snapshot snapshot) {
            latest.put(name, snapshot.source().equals(name) ? snapshot : new Snapshot(name, snapshot.frontends()));
            schedule();
        }

        @Override
        public void onError(SourceError error) {
            lastErrors.put(name, error);
            events.onConfigRejected(error);
        }

        @Override
        public void onRecovered(String source, String subject) {
            lastErrors.computeIfPresent(name, (k, v) -> subject == null || v.subject().equals(subject) ? null : v);
        }
    }
}

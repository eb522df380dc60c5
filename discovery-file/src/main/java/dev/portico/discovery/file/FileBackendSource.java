package dev.portico.discovery.file;

import dev.portico.api.BackendSource;
import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * YAML config files and directories as a {@link BackendSource}. Each snapshot is the union of every
 * file's last good frontends, in a fixed order: paths in the order given, a directory's
 * {@code *.yaml}/{@code *.yml} entries by name, entries in file order.
 *
 * <p>A file with any problem is rejected whole and reported ({@code file:line:column: message}); its
 * last good version keeps serving and the other files are unaffected. Changes are applied within a
 * second: a {@link java.nio.file.WatchService} on the directories involved triggers a re-read ~150 ms
 * after the last event (so a burst of writes is one reload), and a poll every few seconds catches
 * what events miss. A new version (new content, an empty file, a missing file) takes effect only
 * when a second read one debounce period later finds it unchanged, so a file caught half-written,
 * truncated, or between an editor's delete and re-create never withdraws frontends or reports
 * errors. Content is compared by digest, which also picks up a ConfigMap's {@code ..data} symlink
 * swap. A snapshot is published only when the frontend list changed.
 *
 * <p>Threads: one daemon thread blocks on the watch service, one daemon thread reads files and calls
 * the listener.
 */
public final class FileBackendSource implements BackendSource {
    private static final Logger log = LoggerFactory.getLogger(FileBackendSource.class);

    /** The source name used when none is given. */
    public static final String DEFAULT_NAME = "file";
    static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(150);
    static final Duration DEFAULT_POLL = Duration.ofSeconds(5);

    private final String name;
    private final List<Path> paths;
    private final long debounceNanos;
    private final long maxDelayNanos;
    private final Duration pollInterval;
    private final boolean useWatchService;
    private final ScheduledThreadPoolExecutor executor;
    private final Object lock = new Object();

    private volatile boolean closed;
    private volatile Thread reloadThread;
    private Listener listener;
    private volatile FileWatcher watcher;
    // Guarded by lock.
    private ScheduledFuture<?> pending;
    private long pendingSince;
    // Reload thread only.
    private final ConfigFileSet files;
    private List<Frontend> published;
    // Written by the reload thread only; read by reloadNow's callers.
    private volatile long publishes;

    /**
     * Reads these files and directories; the source is named {@value #DEFAULT_NAME}.
     *
     * @param paths as for {@link #FileBackendSource(String, List)}
     */
    public FileBackendSource(List<Path> paths) {
        this(DEFAULT_NAME, paths);
    }

    /**
     * @param name  the source name stamped on snapshots, errors and frontends
     * @param paths files and directories, in the order their frontends are listed; a path that does
     *              not exist is reported and watched until it appears
     */
    public FileBackendSource(String name, List<Path> paths) {
        this(name, paths, DEFAULT_DEBOUNCE, DEFAULT_POLL, true);
    }

    FileBackendSource(String name, List<Path> paths, Duration debounce, Duration pollInterval, boolean useWatchService) {
        this.name = Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("source name is blank");
        }
        this.paths = List.copyOf(paths);
        if (this.paths.isEmpty()) {
            throw new IllegalArgumentException("no config file or directory given");
        }
        this.debounceNanos = debounce.toNanos();
        this.files = new ConfigFileSet(name, this.paths, debounceNanos, new ConfigFileSet.Reporter() {
            @Override
            public void error(String file, String place, String message) {
                FileBackendSource.this.error(file, place, message);
            }

            @Override
            public void recovered(String place) {
                FileBackendSource.this.recovered(place);
            }
        }, dirs -> {
            if (watcher != null) {
                watcher.watch(dirs);
            }
        });
        this.maxDelayNanos = Math.max(debounceNanos, Duration.ofMillis(500).toNanos());
        this.pollInterval = pollInterval;
        this.useWatchService = useWatchService;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "portico-file-reload-" + name);
            t.setDaemon(true);
            reloadThread = t;
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    /**
     * What config files hold, read once: the frontends of the good files, and every problem of the
     * others.
     *
     * @param frontends the good files' frontends, in the order a source lists them
     * @param problems  each problem with its place ({@code a.yaml:4:5}); a file with any problem adds
     *                  no frontends
     */
    public record Contents(List<Frontend> frontends, List<SourceError> problems) {
        /**
         * Copies both lists.
         *
         * @param frontends the good files' frontends
         * @param problems  the problems of the others, with their places
         */
        public Contents {
            frontends = List.copyOf(frontends);
            problems = List.copyOf(problems);
        }
    }

    /**
     * Reads these files and directories once, as a source's first read does, without watching them
     * or starting a thread: for a check, a test, or a tool that converts a file.
     *
     * @param paths files and directories, in the order their frontends are listed; a path that does
     *              not exist is a problem
     * @return the frontends, or the problems, of the files as they are now
     */
    public static Contents read(List<Path> paths) {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("no config file or directory given");
        }
        List<SourceError> problems = new ArrayList<>();
        ConfigFileSet files = new ConfigFileSet(DEFAULT_NAME, paths, 0, new ConfigFileSet.Reporter() {
            @Override
            public void error(String file, String place, String message) {
                problems.add(new SourceError(DEFAULT_NAME, SafeText.escape(place), SafeText.escape(message))
                        .about(SafeText.escape(file)));
            }

            @Override
            public void recovered(String place) {
                // A first read has nothing to recover from.
            }
        }, dirs -> { });
        files.reload(System.nanoTime());
        return new Contents(files.frontends(), problems);
    }

    @Override
    public String name() {
        return name;
    }

    /** The files and directories this source reads, as given. */
    List<Path> paths() {
        return paths;
    }

    /**
     * Starts watching. Returns once the files have been read and the first snapshot (and any
     * errors) delivered to the listener, which takes a few milliseconds for local files.
     */
    @Override
    public void start(Listener newListener) {
        Objects.requireNonNull(newListener, "listener");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("source '" + name + "' is closed");
            }
            if (listener != null) {
                throw new IllegalStateException("source '" + name + "' is already started");
            }
            listener = newListener;
        }
        if (useWatchService) {
            watcher = FileWatcher.start(this::trigger, "portico-file-watch-" + name);
        }
        long poll = pollInterval.toMillis();
        executor.scheduleWithFixedDelay(this::reloadSafely, poll, poll, TimeUnit.MILLISECONDS);
        Future<?> first = executor.submit(this::reloadSafely);
        try {
            first.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("interrupted while reading the config files of source '{}'; they are read in the background", name);
        } catch (TimeoutException e) {
            log.warn("reading the config files of source '{}' takes over 10 s; carrying on in the background", name);
        } catch (ExecutionException e) {
            log.error("first read of the config files of source '{}' failed", name, e.getCause());
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (watcher != null) {
            watcher.close();
        }
        executor.shutdownNow();
        if (Thread.currentThread() != reloadThread) {
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("reload thread of source '{}' did not stop within 5 s", name);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.warn("interrupted while stopping source '{}'", name);
            }
        }
        log.debug("source '{}' closed", name);
    }

    /**
     * Re-reads every file now instead of waiting for a watch event or the poll, as a SIGHUP asks.
     * The returned future completes once what was read has been published (or rejected and
     * reported): a changed file is read a second time one debounce period later, as every change is.
     *
     * @return completes with true if a new snapshot was published meanwhile (so an apply
     *         follows), false if the files were unchanged or rejected
     */
    public CompletableFuture<Boolean> reloadNow() {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        long before = publishes;
        rereadUntilSettled(done, 0, 0);
        return done.thenApply(x -> publishes != before);
    }

    private void rereadUntilSettled(CompletableFuture<Boolean> done, long delayNanos, int round) {
        try {
            executor.schedule(() -> {
                reloadSafely();
                // A file that keeps changing still ends the wait, after a bounded number of reads.
                if (!closed && files.changePending() && round < 20) {
                    rereadUntilSettled(done, debounceNanos, round + 1);
                } else {
                    done.complete(true);
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            done.complete(true);
        }
    }

    /** A change was seen: re-read after the debounce period, postponed by further changes up to a bound. */
    private void trigger() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            long now = System.nanoTime();
            if (pending != null) {
                if (now - pendingSince >= maxDelayNanos) {
                    return;
                }
                pending.cancel(false);
            } else {
                pendingSince = now;
            }
            try {
                pending = executor.schedule(this::debouncedReload, debounceNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                log.debug("source '{}' is closing; change not read", name);
            }
        }
    }

    private void debouncedReload() {
        synchronized (lock) {
            pending = null;
        }
        reloadSafely();
    }

    private void reloadSafely() {
        try {
            reload();
        } catch (RuntimeException e) {
            // A periodic task that throws is never run again; keep the poll alive and say why it failed.
            log.error("reloading the config files of source '{}' failed", name, e);
        }
    }

    private void reload() {
        if (closed) {
            return;
        }
        boolean recheck = files.reload(System.nanoTime());
        publishIfChanged();
        if (recheck) {
            trigger();
        }
    }

    private void publishIfChanged() {
        List<Frontend> all = files.frontends();
        if (all.equals(published)) {
            return;
        }
        published = List.copyOf(all);
        publishes++;
        log.debug("source '{}' publishes {} frontend(s) from {} file(s)", name, all.size(), files.fileCount());
        Snapshot snapshot = new Snapshot(name, published);
        deliver("snapshot", l -> l.onSnapshot(snapshot));
    }

    private void error(String file, String place, String message) {
        // A file recovers as a whole: its name is the subject of each problem placed in it.
        SourceError e = new SourceError(name, SafeText.escape(place), SafeText.escape(message))
                .about(SafeText.escape(file));
        log.debug("{}", e);
        deliver("error", l -> l.onError(e));
    }

    private void recovered(String place) {
        log.info("{} is good again", place);
        String subject = SafeText.escape(place);
        deliver("recovery", l -> l.onRecovered(name, subject));
    }

    private void deliver(String what, Consumer<Listener> call) {
        Listener l;
        synchronized (lock) {
            l = closed ? null : listener;
        }
        if (l == null) {
            return;
        }
        try {
            call.accept(l);
        } catch (RuntimeException e) {
            log.error("the listener of source '{}' failed on a {}", name, what, e);
        }
    }

    /** How many distinct file versions have been parsed (for tests). */
    int versionsRead() {
        return files.versionsRead();
    }

    /** Whether a new version of a file (new content, empty, missing) awaits confirmation (for tests). */
    boolean changePending() {
        return files.changePending();
    }
}

package dev.portico.discovery.file;

import dev.portico.api.Frontend;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files behind one source and what each last said. {@link #reload} re-reads them all, parses
 * what changed (by content digest, so a touched file or a ConfigMap swap to equal content costs
 * nothing) once the change is confirmed by a second read (see {@link WatchedFile}), and keeps a
 * rejected file's last good version. Not thread-safe: the source calls it from its one reload
 * thread.
 */
final class ConfigFileSet {
    private static final Logger log = LoggerFactory.getLogger(ConfigFileSet.class);
    /** A file that never stops changing is taken as it is after this long. */
    private static final Duration MAX_UNSTABLE = Duration.ofSeconds(1);

    /** Where problems and recoveries go, each with its place. */
    interface Reporter {
        /** A problem in {@code file} (what recovers as a whole), at {@code place} in it. */
        void error(String file, String place, String message);

        void recovered(String place);
    }

    private final String source;
    private final List<Path> paths;
    private final long confirmNanos;
    private final Reporter reporter;
    private final Consumer<Set<Path>> watchDirs;
    private final long maxUnstableNanos;
    private Map<Path, WatchedFile> files = new LinkedHashMap<>();
    private String listingError;
    private boolean initialized;
    // Written on the reload thread only; read by tests, which wait on what was seen rather than on time.
    private volatile boolean changePending;
    private volatile int versionsRead;

    /**
     * @param confirmNanos how long a new version (new content, empty, missing) must stay unchanged
     *                     before it takes effect
     * @param watchDirs    told, after each listing, which directories' events matter
     */
    ConfigFileSet(String source, List<Path> paths, long confirmNanos, Reporter reporter, Consumer<Set<Path>> watchDirs) {
        this.source = source;
        this.paths = List.copyOf(paths);
        this.confirmNanos = confirmNanos;
        this.maxUnstableNanos = Math.max(4 * confirmNanos, MAX_UNSTABLE.toNanos());
        this.reporter = reporter;
        this.watchDirs = watchDirs;
    }

    /** Every file's last good frontends, in file order. */
    List<Frontend> frontends() {
        List<Frontend> all = new ArrayList<>();
        for (WatchedFile f : files.values()) {
            all.addAll(f.good);
        }
        return all;
    }

    int fileCount() {
        return files.size();
    }

    int versionsRead() {
        return versionsRead;
    }

    boolean changePending() {
        return changePending;
    }

    /**
     * Re-reads every file. The first call takes in what it finds at once, so that the first
     * snapshot is the real one; later calls apply a change once it is confirmed.
     *
     * @return whether a change awaits confirmation, so the caller should reload again after the
     *         confirmation period
     */
    boolean reload(long now) {
        boolean first = !initialized;
        initialized = true;
        ConfigPaths.Expansion expansion;
        try {
            expansion = ConfigPaths.expand(paths);
        } catch (ConfigPaths.UnlistableException e) {
            // Judging nothing this round keeps everything serving; the next poll tries again.
            String message = "cannot list directory: " + e.getMessage();
            if (!message.equals(listingError)) {
                listingError = message;
                log.warn("{}: {}", e.display(), message);
                reporter.error(e.display(), e.display(), message);
            }
            return false;
        }
        listingError = null;
        watchDirs.accept(expansion.watchDirs());
        boolean recheck = false;
        Map<Path, WatchedFile> next = new LinkedHashMap<>();
        for (ConfigPaths.Candidate c : expansion.files()) {
            WatchedFile f = files.computeIfAbsent(c.key(), k -> new WatchedFile(c));
            f.candidate = c;
            next.put(c.key(), f);
            recheck |= refresh(f, now, first);
        }
        for (WatchedFile gone : files.values()) {
            if (next.containsKey(gone.candidate.key())) {
                continue;
            }
            if (!gone.good.isEmpty()) {
                if (!gone.settled(WatchedFile.MISSING, now, confirmNanos, maxUnstableNanos)) {
                    next.put(gone.candidate.key(), gone);
                    recheck = true;
                    continue;
                }
                log.info("{} is gone; withdrawing its {} frontend(s)", gone.display(), gone.good.size());
            }
            if (gone.failing) {
                reporter.recovered(gone.display());
            }
        }
        files = next;
        changePending = recheck;
        return recheck;
    }

    /** Reads one file and applies a confirmed new version. Returns whether a version awaits confirmation. */
    private boolean refresh(WatchedFile f, long now, boolean first) {
        byte[] bytes = null;
        byte[] version;
        try {
            bytes = ConfigText.read(f.candidate.path(), f.display());
            version = sha256(bytes);
        } catch (NoSuchFileException e) {
            version = WatchedFile.MISSING;
        } catch (ConfigText.RejectedException e) {
            readError(f, e.problem().message());
            return false;
        } catch (IOException e) {
            readError(f, "cannot read: " + e);
            return false;
        }
        if (Arrays.equals(version, f.digest)) {
            f.unchanged();
            return false;
        }
        if (!first && !f.settled(version, now, confirmNanos, maxUnstableNanos)) {
            return true;
        }
        f.settle(version);
        f.readError = null;
        if (bytes == null) {
            missing(f);
            return false;
        }
        versionsRead++;
        String text;
        try {
            text = ConfigText.decode(f.display(), bytes);
        } catch (ConfigText.RejectedException e) {
            reject(f, List.of(e.problem()));
            return false;
        }
        ConfigParser.Result result;
        try {
            result = ConfigParser.parse(f.display(), text, source);
        } catch (RuntimeException e) {
            // A bug in the parser must not leave this version marked as read but neither taken nor refused.
            log.error("reading {} failed unexpectedly", f.display(), e);
            result = new ConfigParser.Result(List.of(),
                    List.of(new ConfigProblem(f.display(), 0, 0, "cannot be read (internal error: " + e + ")")));
        }
        if (result.ok()) {
            ConfigProblem over = overLimit(f, result.frontends(), bytes.length);
            if (over != null) {
                reject(f, List.of(over));
                return false;
            }
            accept(f, result.frontends(), bytes.length);
        } else {
            reject(f, result.problems());
        }
        return false;
    }

    /**
     * Whether taking this file's frontends would hold more than the source may: what a source holds
     * lives as long as the router, so it is bounded across all its files, not only per file. The
     * counts bound the objects, the bytes every string taken from the files (names, host names).
     */
    private ConfigProblem overLimit(WatchedFile f, List<Frontend> frontends, int bytes) {
        long[] own = held(frontends, bytes);
        long[] others = new long[own.length];
        for (WatchedFile other : files.values()) {
            if (other != f) {
                long[] h = held(other.good, other.goodBytes);
                for (int i = 0; i < h.length; i++) {
                    others[i] += h[i];
                }
            }
        }
        for (int i = 0; i < own.length; i++) {
            if (own[i] + others[i] > LIMITS[i]) {
                return new ConfigProblem(f.display(), 0, 0, "has " + own[i] + " " + HELD[i]
                        + (others[i] == 0 ? "" : "; with the " + others[i] + " of the other files that is "
                        + (own[i] + others[i])) + ", more than the limit of " + LIMITS[i] + " " + HELD[i]
                        + " per source");
            }
        }
        return null;
    }

    private static final String[] HELD = {"frontends", "backends", "allow/deny/trusted networks", "bytes"};
    private static final long[] LIMITS = {ConfigParser.MAX_FRONTENDS, ConfigParser.MAX_BACKENDS,
        ConfigParser.MAX_NETWORKS, ConfigParser.MAX_SOURCE_BYTES};

    /** What frontends hold, in the order of {@link #HELD}. */
    private static long[] held(List<Frontend> frontends, long bytes) {
        long backends = 0;
        long networks = 0;
        for (Frontend fe : frontends) {
            backends += fe.backends().size();
            networks += fe.allow().size() + fe.deny().size() + fe.acceptProxy().trusted().size();
        }
        return new long[] {frontends.size(), backends, networks, bytes};
    }

    private void missing(WatchedFile f) {
        if (!f.good.isEmpty()) {
            log.info("{} is gone; withdrawing its {} frontend(s)", f.display(), f.good.size());
            f.good = List.of();
            f.goodBytes = 0;
        }
        if (f.candidate.explicit()) {
            f.failing = true;
            log.debug("{} does not exist; waiting for it to appear", f.display());
            reporter.error(f.display(), f.display(), "does not exist; waiting for it to appear");
        } else if (f.failing) {
            f.failing = false;
            reporter.recovered(f.display());
        }
    }

    private void accept(WatchedFile f, List<Frontend> frontends, int bytes) {
        f.good = frontends;
        f.goodBytes = frontends.isEmpty() ? 0 : bytes;
        log.info("read {}: {} frontend(s)", f.display(), frontends.size());
        if (f.failing) {
            f.failing = false;
            reporter.recovered(f.display());
        }
    }

    private void reject(WatchedFile f, List<ConfigProblem> problems) {
        f.failing = true;
        log.warn("rejected {} ({} problem(s), first: {}); {}", f.display(), problems.size(), problems.get(0),
                f.good.isEmpty() ? "it adds no frontends"
                        : "its last good version keeps serving " + f.good.size() + " frontend(s)");
        for (ConfigProblem p : problems) {
            reporter.error(f.display(), p.place(), p.message());
        }
    }

    private void readError(WatchedFile f, String text) {
        // An exception's text quotes paths as the file system has them.
        String message = SafeText.escape(text);
        if (!message.equals(f.readError)) {
            f.readError = message;
            f.failing = true;
            // Once readable again, its content counts as a new version even if it is the old one.
            f.settle(WatchedFile.UNREADABLE);
            log.warn("{} {}; its last good version keeps serving", f.display(), message);
            reporter.error(f.display(), f.display(), message);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}

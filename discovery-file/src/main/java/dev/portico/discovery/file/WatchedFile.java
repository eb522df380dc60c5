package dev.portico.discovery.file;

import dev.portico.api.Frontend;
import java.util.Arrays;
import java.util.List;

/**
 * What the source knows of one config file between reloads. Touched on the reload thread only.
 *
 * <p>A version is identified by a digest: of the content, or {@link #MISSING} or {@link #UNREADABLE}.
 * A new version takes effect only once it has been read unchanged twice, a confirmation period
 * apart: a file caught half-written, truncated, or between an editor's delete and re-create would
 * otherwise withdraw frontends (or report errors) for a moment.
 */
final class WatchedFile {
    static final byte[] MISSING = {0};
    static final byte[] UNREADABLE = {1};
    private static final long NEVER = Long.MIN_VALUE;

    ConfigPaths.Candidate candidate;
    /** The version in effect; {@code null} before the first. */
    byte[] digest;
    /** The frontends of the last good version; what the file contributes to snapshots. */
    List<Frontend> good = List.of();
    /** The size of the last good version, counted against the source's limit while it has frontends. */
    int goodBytes;
    /** An error about this file was reported and has not been recovered from. */
    boolean failing;
    /** The last read failure reported, so a poll does not repeat it every round. */
    String readError;

    private byte[] seen;
    private long seenSince = NEVER;
    private long changingSince = NEVER;

    WatchedFile(ConfigPaths.Candidate candidate) {
        this.candidate = candidate;
    }

    String display() {
        return candidate.display();
    }

    /**
     * Whether a version other than the one in effect may take effect now: it was seen unchanged for
     * {@code confirmNanos}, or the file has kept changing for {@code maxNanos} (then the latest is
     * taken, so a file rewritten without pause is not ignored for ever).
     */
    boolean settled(byte[] version, long now, long confirmNanos, long maxNanos) {
        if (changingSince == NEVER) {
            changingSince = now;
        }
        if (!Arrays.equals(version, seen)) {
            seen = version;
            seenSince = now;
            return now - changingSince >= maxNanos;
        }
        return now - seenSince >= confirmNanos || now - changingSince >= maxNanos;
    }

    /** Makes a version the one in effect. */
    void settle(byte[] version) {
        digest = version;
        unchanged();
    }

    /** The version in effect was read again: forget any newer one seen in between (it was reverted). */
    void unchanged() {
        seen = null;
        seenSince = NEVER;
        changingSince = NEVER;
    }
}

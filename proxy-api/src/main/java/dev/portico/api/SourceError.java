package dev.portico.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A problem a source reports: what is wrong and where.
 *
 * @param source  the source's name
 * @param place   where: {@code /etc/portico/a.yaml:12:5}, {@code default/web}, {@code --bind}; may be empty
 * @param message what is wrong, readable on its own
 * @param at      when it was reported
 * @param subject what the problem belongs to and recovers with as a whole, as the source names it in
 *                {@link BackendSource.Listener#onRecovered}: a file for a problem at a line of it; the
 *                place itself by default
 */
public record SourceError(String source, String place, String message, Instant at, String subject) {
    /**
     * Fills in the defaults.
     *
     * @param source  the source's name
     * @param place   where; null is taken as empty
     * @param message what is wrong
     * @param at      when; null is taken as now
     * @param subject what the problem belongs to; null or empty is taken as the place
     */
    public SourceError {
        Objects.requireNonNull(source, "source");
        place = place == null ? "" : place;
        Objects.requireNonNull(message, "message");
        at = at == null ? Instant.now() : at;
        subject = subject == null || subject.isEmpty() ? place : subject;
    }

    SourceError(String source, String place, String message, Instant at) {
        this(source, place, message, at, null);
    }

    /**
     * An error reported now, about its place.
     *
     * @param source  the source's name
     * @param place   where: a file with line and column, a namespace/name; null or empty when nowhere in particular
     * @param message what is wrong, readable on its own
     */
    public SourceError(String source, String place, String message) {
        this(source, place, message, Instant.now(), null);
    }

    /**
     * This error, belonging to another subject, so that it recovers with it.
     *
     * @param subject what the problem belongs to: a file, when the place is a line in it
     * @return a new error, the same but for its subject
     */
    public SourceError about(String subject) {
        return new SourceError(source, place, message, at, subject);
    }

    /** {@code place: message}, as a compiler prints it. */
    @Override
    public String toString() {
        return place.isEmpty() ? message : place + ": " + message;
    }
}

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
 */
public record SourceError(String source, String place, String message, Instant at) {
    public SourceError {
        Objects.requireNonNull(source, "source");
        place = place == null ? "" : place;
        Objects.requireNonNull(message, "message");
        at = at == null ? Instant.now() : at;
    }

    public SourceError(String source, String place, String message) {
        this(source, place, message, Instant.now());
    }

    /** {@code place: message}, as a compiler prints it. */
    @Override
    public String toString() {
        return place.isEmpty() ? message : place + ": " + message;
    }
}

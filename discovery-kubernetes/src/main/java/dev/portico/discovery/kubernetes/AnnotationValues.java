package dev.portico.discovery.kubernetes;

import dev.portico.api.Cidr;
import dev.portico.api.Durations;
import dev.portico.api.FrontendSettings;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.ServerNames;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * One annotation's value read as each kind of {@link FrontendSettings} value, all strings: lists are
 * comma-separated, durations are {@link Durations}' grammar. Each failure is an
 * {@link InvalidConfigException} that starts {@code annotation KEY: 'VALUE'} or {@code annotation KEY: }
 * and says what is wrong, so the message needs only the Service's {@code namespace/name} in front to
 * be complete.
 */
final class AnnotationValues implements FrontendSettings.Value {

    private final String key;
    private final String value;

    AnnotationValues(String key, String value) {
        this.key = key;
        this.value = value;
    }

    @Override
    public Duration duration() {
        return duration(key, value);
    }

    @Override
    public Duration positiveDuration() {
        Duration d = duration();
        if (d.isZero()) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' must be longer than zero");
        }
        return d;
    }

    /** service-announcer writes whole seconds. */
    @Override
    public Duration l4proxySeconds() {
        return Duration.ofSeconds(wholeNumber(key, value, 1, Integer.MAX_VALUE, " of seconds"));
    }

    @Override
    public int wholeNumber(int min, int max) {
        return wholeNumber(key, value, min, max, "");
    }

    /** {@code up} or {@code down} (also {@code true}, {@code false}). */
    @Override
    public boolean upOrDown() {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "up", "true" -> true;
            case "down", "false" -> false;
            default -> throw new InvalidConfigException("annotation " + key + ": '" + value
                    + "' is neither up nor down");
        };
    }

    /** {@code true} or {@code false}, in any case. */
    @Override
    public boolean bool() {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConfigException("annotation " + key + ": '" + value
                    + "' is neither true nor false");
        };
    }

    @Override
    public <T> T choice(String what, String names, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' is not a " + what
                    + " (one of: " + names + ")", e);
        }
    }

    /** The model type's message (which quotes the value), prefixed with the annotation. */
    @Override
    public <T> T parsed(Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("annotation " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<Cidr> networks() {
        return networks(key, value);
    }

    @Override
    public List<String> serverNames() {
        if (value.isBlank()) {
            throw new InvalidConfigException("annotation " + key + ": is empty (write names like "
                    + "grafana.example.org,*.apps.example.org, or remove the annotation)");
        }
        return parsed(v -> ServerNames.parseAll(List.of(v.split(",", -1))));
    }

    /** A duration of zero or more, for settings where zero means off. */
    static Duration duration(String key, String value) {
        try {
            return Durations.parse(value);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' is not a duration (use "
                    + Durations.FORMS + ")", e);
        }
    }

    /** A whole number from {@code min} to {@code max}, written in decimal digits only. */
    private static int wholeNumber(String key, String value, int min, int max, String unit) {
        String s = value.strip();
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' is not a whole number" + unit);
        }
        // More digits than any int has is out of range, not "not a number".
        long n = s.length() > 10 ? Long.MAX_VALUE : Long.parseLong(s);
        if (n < min || n > max) {
            String problem = max != Integer.MAX_VALUE ? "is out of range (" + min + "-" + max + ")"
                    : n < min ? "must be at least " + min : "is too large (at most " + max + ")";
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' " + problem);
        }
        return (int) n;
    }

    /** Comma-separated names, in written order without repeats; none may be empty. */
    static List<String> names(String key, String value, String example) {
        Set<String> names = new LinkedHashSet<>();
        for (String part : value.split(",", -1)) {
            String name = part.strip();
            if (name.isEmpty()) {
                throw new InvalidConfigException("annotation " + key + ": '" + value
                        + "' has an empty class name (write e.g. " + example + ")");
            }
            names.add(name);
        }
        return new ArrayList<>(names);
    }

    /**
     * Comma-separated networks ({@code 10.0.0.0/8, fd00::/8, 192.168.1.7}); at least one, none empty.
     * An empty list is refused rather than read as "no restriction": for an access list that reading
     * is too easy to get by accident.
     */
    static List<Cidr> networks(String key, String value) {
        if (value.isBlank()) {
            throw new InvalidConfigException("annotation " + key + ": is empty (write networks like "
                    + "192.168.0.0/16,fd00::/8, or remove the annotation)");
        }
        return networks("annotation " + key, List.of(value.split(",", -1)), true);
    }

    /**
     * Networks from a list of texts; {@code where} starts each message ({@code annotation portico.dev/allow},
     * {@code spec.loadBalancerSourceRanges}).
     *
     * @param commaSeparated whether the texts were one comma-separated value, for the hints
     */
    static List<Cidr> networks(String where, List<String> texts, boolean commaSeparated) {
        List<Cidr> out = new ArrayList<>();
        for (String text : texts) {
            String t = text == null ? "" : text.strip();
            if (t.isEmpty()) {
                throw new InvalidConfigException(where + ": has an empty entry"
                        + (commaSeparated ? " (separate networks with one comma)" : ""));
            }
            try {
                out.add(Cidr.parse(t));
            } catch (InvalidConfigException e) {
                boolean spaced = t.chars().anyMatch(Character::isWhitespace);
                throw new InvalidConfigException(where + ": " + e.getMessage()
                        + (spaced ? commaSeparated ? "; separate networks with commas" : "; write one network per entry"
                        : ""), e);
            }
        }
        return out;
    }
}

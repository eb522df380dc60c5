package dev.portico.discovery.kubernetes;

import dev.portico.api.Cidr;
import dev.portico.api.InvalidConfigException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Readers for annotation values, all strings. Each failure is an {@link InvalidConfigException}
 * that starts {@code annotation KEY: 'VALUE'} or {@code annotation KEY: } and says what is wrong, so
 * the message needs only the Service's {@code namespace/name} in front to be complete.
 */
final class AnnotationValues {

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");
    static final String DURATION_HELP = "use a whole number of seconds or units, e.g. 5, 5s, 250ms, 1m, 1h, 1m30s";

    private AnnotationValues() {
    }

    /** See {@link Annotations#parseDuration(String)}. */
    static Duration parseDuration(String text) {
        String s = text == null ? "" : text.strip();
        if (s.chars().allMatch(Character::isDigit) && !s.isEmpty() && s.length() <= 9) {
            return Duration.ofSeconds(Long.parseLong(s));
        }
        Matcher m = DURATION_PART.matcher(s);
        Duration total = Duration.ZERO;
        int end = 0;
        while (!s.isEmpty() && m.find() && m.start() == end) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            end = m.end();
        }
        if (s.isEmpty() || end != s.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration");
        }
        return total;
    }

    /** A duration longer than zero. */
    static Duration positiveDuration(String key, String value) {
        Duration d = duration(key, value);
        if (d.isZero()) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' must be longer than zero");
        }
        return d;
    }

    /** A duration of zero or more, for settings where zero means off. */
    static Duration duration(String key, String value) {
        try {
            return parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' is not a duration ("
                    + DURATION_HELP + ")", e);
        }
    }

    /** A whole number from {@code min} to {@code max}, written in decimal digits only. */
    static int wholeNumber(String key, String value, int min, int max) {
        String s = value.strip();
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' is not a whole number"
                    + (key.equals(Annotations.L4PROXY_HEALTH_INTERVAL) ? " of seconds" : ""));
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

    /** {@code up} or {@code down} (also {@code true}, {@code false}). */
    static boolean upOrDown(String key, String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "up", "true" -> true;
            case "down", "false" -> false;
            default -> throw new InvalidConfigException("annotation " + key + ": '" + value
                    + "' is neither up nor down");
        };
    }

    /** {@code true} or {@code false}, in any case. */
    static boolean trueOrFalse(String key, String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConfigException("annotation " + key + ": '" + value
                    + "' is neither true nor false");
        };
    }

    /**
     * A value read by a model type's own parser, whose message (which quotes the value) is kept and
     * prefixed with the annotation.
     */
    static <T> T parsed(String key, String value, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException("annotation " + key + ": " + e.getMessage(), e);
        }
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

    /** The known key within two edits of a mistyped one, if any. */
    static String nearest(String key, Set<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : new TreeSet<>(known)) {
            int d = distance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}

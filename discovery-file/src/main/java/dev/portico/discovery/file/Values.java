package dev.portico.discovery.file;

import dev.portico.api.Durations;
import dev.portico.api.InvalidConfigException;
import dev.portico.discovery.file.YamlNode.Entry;
import dev.portico.discovery.file.YamlNode.Scalar;
import dev.portico.discovery.file.YamlNode.ScalarType;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Typed reads of one {@code key: value}; a wrong type or value throws {@link InvalidConfigException}
 * whose message names the key, and the caller adds the value's place.
 */
final class Values {

    private Values() {
    }

    /** Any scalar as written: YAML reads {@code bind: 80} as a number, and it means ":80". */
    static String string(Entry e) {
        if (e.value() instanceof Scalar s && !s.isNull()) {
            return s.text();
        }
        throw wrongType(e, "a string");
    }

    /** A string that is safe to print: names reach logs, metrics labels and terminals. */
    static String printable(Entry e) {
        String s = string(e);
        int cp = SafeText.firstUnsafe(s);
        if (cp >= 0) {
            throw new InvalidConfigException(e.key() + " contains " + SafeText.describe(cp) + "; "
                    + e.key() + "s may not contain control or bidi characters");
        }
        return s;
    }

    static long integer(Entry e, long min, long max) {
        if (e.value() instanceof Scalar s && s.type() == ScalarType.INTEGER) {
            BigDecimal n = s.number();
            if (n.compareTo(BigDecimal.valueOf(min)) < 0 || n.compareTo(BigDecimal.valueOf(max)) > 0) {
                throw new InvalidConfigException(e.key() + ": " + s.text() + " is out of range (" + min + "-" + max + ")");
            }
            return n.longValueExact();
        }
        throw wrongType(e, "an integer");
    }

    static boolean bool(Entry e) {
        if (e.value() instanceof Scalar s && s.type() == ScalarType.BOOLEAN) {
            return Boolean.parseBoolean(s.text().toLowerCase(Locale.ROOT))
                    || List.of("yes", "on", "y").contains(s.text().toLowerCase(Locale.ROOT));
        }
        throw wrongType(e, "true or false");
    }

    /** One of the given words, compared without case. */
    static String oneOf(Entry e, String... words) {
        String v = string(e).strip().toLowerCase(Locale.ROOT);
        for (String w : words) {
            if (w.equals(v)) {
                return w;
            }
        }
        throw new InvalidConfigException(e.key() + ": '" + string(e) + "' is not one of: " + String.join(", ", words));
    }

    /** A duration of 0 or more; a bare number is seconds. */
    static Duration duration(Entry e) {
        if (e.value() instanceof Scalar s) {
            try {
                switch (s.type()) {
                    case INTEGER, DECIMAL -> {
                        return Durations.ofSeconds(s.number(), s.text());
                    }
                    case STRING -> {
                        return Durations.parse(s.text());
                    }
                    default -> {
                        // A boolean or null is no duration; reported below.
                    }
                }
            } catch (InvalidConfigException ex) {
                throw new InvalidConfigException(e.key() + ": " + ex.getMessage(), ex);
            }
        }
        throw wrongType(e, "a duration (" + Durations.FORMS + ")");
    }

    /** A duration greater than zero, for settings where 0 has no l4proxy meaning to keep. */
    static Duration positiveDuration(Entry e) {
        Duration d = duration(e);
        if (d.isZero()) {
            throw new InvalidConfigException(e.key() + ": must be more than 0");
        }
        return d;
    }

    static YamlNode.Sequence sequence(Entry e) {
        if (e.value() instanceof YamlNode.Sequence s) {
            return s;
        }
        throw wrongType(e, "a list");
    }

    static InvalidConfigException wrongType(Entry e, String expected) {
        return new InvalidConfigException(e.key() + ": expected " + expected + ", got " + e.value().kindName()
                + (e.value() instanceof Scalar s && !s.isNull() ? " '" + s.text() + "'" : ""));
    }
}

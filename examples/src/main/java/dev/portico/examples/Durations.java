package dev.portico.examples;

import dev.portico.api.InvalidConfigException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations on the command line exactly as the config files write them (the file format's
 * own reader: {@code 30s}, {@code 250ms}, {@code 1m30s}, a bare number of seconds), and ISO-8601
 * ({@code PT30S}) on top.
 */
final class Durations implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        String s = value.strip();
        if (s.toLowerCase(Locale.ROOT).startsWith("p")) {
            try {
                Duration d = Duration.parse(s.toUpperCase(Locale.ROOT));
                if (!d.isNegative()) {
                    return d;
                }
            } catch (DateTimeParseException e) {
                throw notADuration(value, e);
            }
            throw notADuration(value, null);
        }
        try {
            return dev.portico.api.Durations.parse(s);
        } catch (InvalidConfigException e) {
            throw notADuration(value, e);
        }
    }

    private static TypeConversionException notADuration(String value, Exception cause) {
        TypeConversionException e = new TypeConversionException("'" + value
                + "' is not a duration (write e.g. 30s, 250ms, 1m, 1m30s or 30)");
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /** {@code 30s}, {@code 250ms}, {@code 1m30s}: the way durations are written back to the user. */
    static String format(Duration d) {
        return dev.portico.api.Durations.format(d);
    }
}

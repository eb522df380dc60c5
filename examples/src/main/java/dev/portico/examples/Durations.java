package dev.portico.examples;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations as the config files write them: {@code 30s}, {@code 250ms}, {@code 1m},
 * {@code 1h}, combinations such as {@code 1m30s}, a bare number of seconds ({@code 30}), or
 * ISO-8601 ({@code PT30S}).
 */
final class Durations implements ITypeConverter<Duration> {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h))+");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        String s = value.strip().toLowerCase(Locale.ROOT);
        try {
            if (s.matches("\\d+")) {
                return Duration.ofSeconds(Long.parseLong(s));
            }
            if (s.startsWith("pt") || s.startsWith("p")) {
                Duration d = Duration.parse(s.toUpperCase(Locale.ROOT));
                if (d.isNegative()) {
                    throw new TypeConversionException("'" + value + "' is negative");
                }
                return d;
            }
            if (WHOLE.matcher(s).matches()) {
                Duration d = Duration.ZERO;
                Matcher m = PART.matcher(s);
                while (m.find()) {
                    long n = Long.parseLong(m.group(1));
                    d = d.plus(switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        default -> Duration.ofHours(n);
                    });
                }
                return d;
            }
        } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
            // Out of range or malformed ISO text: reported below like any other bad value.
        }
        throw new TypeConversionException("'" + value + "' is not a duration (write e.g. 30s, 250ms, 1m, 1m30s or 30)");
    }

    /** {@code 30s}, {@code 250ms}, {@code 1m30s}: the way durations are written back to the user. */
    static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long h = d.toHours();
        int m = d.toMinutesPart();
        int s = d.toSecondsPart();
        int ms = d.toMillisPart();
        if (h > 0) {
            sb.append(h).append('h');
        }
        if (m > 0) {
            sb.append(m).append('m');
        }
        if (s > 0) {
            sb.append(s).append('s');
        }
        if (ms > 0) {
            sb.append(ms).append("ms");
        }
        return sb.toString();
    }
}

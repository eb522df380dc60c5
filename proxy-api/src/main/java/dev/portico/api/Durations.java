package dev.portico.api;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar of every syntax (config files, Service annotations, the launcher's flags):
 * a bare number of seconds ({@code 5}, {@code 1.5}) or
 * numbers with units {@code ms}, {@code s}, {@code m}, {@code h}, combined as Go writes them
 * ({@code 1m30s}, {@code 1h0m0s}). Go's {@code ns} and {@code us} are refused: no timeout in a TCP
 * proxy is meaningful below a millisecond, and a silent rounding would hide a typo.
 */
public final class Durations {

    /** The accepted forms, quoted in every error message. */
    public static final String FORMS = "5 (seconds), 5s, 250ms, 1m, 1h or 1m30s";

    private static final Pattern NUMBER = Pattern.compile("\\d+(\\.\\d+)?");
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)([a-zA-Zµ]+)");
    private static final BigDecimal NANOS_PER_MS = BigDecimal.valueOf(1_000_000L);
    private static final BigDecimal NANOS_PER_S = BigDecimal.valueOf(1_000_000_000L);
    private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @param text the duration as written
     * @return the duration, zero or more
     * @throws InvalidConfigException naming the accepted forms when the text is not one of them,
     *                                is negative, or is too long to represent
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new InvalidConfigException("duration is missing; use " + FORMS);
        }
        String s = text.strip();
        if (s.isEmpty()) {
            throw new InvalidConfigException("duration is empty; use " + FORMS);
        }
        if (s.startsWith("-")) {
            throw new InvalidConfigException("'" + text + "' is negative; a duration must be 0 or more (" + FORMS + ")");
        }
        if (s.startsWith("+")) {
            s = s.substring(1);
        }
        if (NUMBER.matcher(s).matches()) {
            return toDuration(new BigDecimal(s).multiply(NANOS_PER_S), text);
        }
        Matcher m = PART.matcher(s);
        BigDecimal nanos = BigDecimal.ZERO;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new InvalidConfigException("'" + text + "' is not a duration; use " + FORMS);
            }
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(unit(m.group(2), text)));
            at = m.end();
        }
        return toDuration(nanos, text);
    }

    /**
     * A whole or fractional number of seconds, as a bare YAML number is read.
     *
     * @param seconds the number
     * @param text    the number as written, for messages
     * @return the duration
     * @throws InvalidConfigException when the number is negative or too large
     */
    public static Duration ofSeconds(BigDecimal seconds, String text) {
        if (seconds.signum() < 0) {
            throw new InvalidConfigException("'" + text + "' is negative; a duration must be 0 or more (" + FORMS + ")");
        }
        return toDuration(seconds.multiply(NANOS_PER_S), text);
    }

    /**
     * {@return the duration the way {@link #parse} reads it back, for messages and written files:
     * {@code 1h}, {@code 1m30s}, {@code 250ms}}
     *
     * @param d the duration, zero or more
     */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long hours = d.toHours();
        int minutes = d.toMinutesPart();
        int seconds = d.toSecondsPart();
        int millis = d.toMillisPart();
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (minutes > 0) {
            sb.append(minutes).append('m');
        }
        if (seconds > 0) {
            sb.append(seconds).append('s');
        }
        if (millis > 0) {
            sb.append(millis).append("ms");
        }
        if (sb.length() == 0) {
            sb.append(d.toNanos()).append("ns");
        }
        return sb.toString();
    }

    /**
     * {@return the duration as Go's {@code time.Duration.String()} writes it, for files that Go
     * programs such as l4proxy read: {@code 1h0m0s}, {@code 1m30s}, {@code 1.5s}, {@code 250ms},
     * {@code 1.5µs}} {@link #parse} reads back the forms from a millisecond up.
     *
     * @param d the duration
     */
    public static String formatGo(Duration d) {
        long ns = d.toNanos();
        if (ns == 0) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        if (ns < 0) {
            sb.append('-');
            ns = -ns;
        }
        if (ns < 1_000L) {
            return sb.append(ns).append("ns").toString();
        }
        if (ns < 1_000_000L) {
            return sb.append(fraction(ns, 1_000L)).append("µs").toString();
        }
        if (ns < 1_000_000_000L) {
            return sb.append(fraction(ns, 1_000_000L)).append("ms").toString();
        }
        long hours = ns / 3_600_000_000_000L;
        long rest = ns % 3_600_000_000_000L;
        long minutes = rest / 60_000_000_000L;
        long secondsNs = rest % 60_000_000_000L;
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            sb.append(minutes).append('m');
        }
        return sb.append(fraction(secondsNs, 1_000_000_000L)).append('s').toString();
    }

    /** {@code value/unit} with the fraction Go prints: no trailing zeros, no point when whole. */
    private static String fraction(long value, long unit) {
        long whole = value / unit;
        long frac = value % unit;
        if (frac == 0) {
            return Long.toString(whole);
        }
        String digits = Long.toString(unit + frac).substring(1).replaceAll("0+$", "");
        return whole + "." + digits;
    }

    private static BigDecimal unit(String unit, String text) {
        return switch (unit) {
            case "ms" -> NANOS_PER_MS;
            case "s" -> NANOS_PER_S;
            case "m" -> NANOS_PER_S.multiply(BigDecimal.valueOf(60));
            case "h" -> NANOS_PER_S.multiply(BigDecimal.valueOf(3600));
            default -> throw new InvalidConfigException("'" + text + "': unknown unit '" + unit
                    + "' (units: ms, s, m, h); use " + FORMS);
        };
    }

    private static Duration toDuration(BigDecimal nanos, String text) {
        if (nanos.compareTo(MAX_NANOS) > 0) {
            throw new InvalidConfigException("'" + text + "' is too long to be a duration");
        }
        BigDecimal whole = nanos.setScale(0, java.math.RoundingMode.HALF_UP);
        return Duration.ofNanos(whole.longValueExact());
    }
}

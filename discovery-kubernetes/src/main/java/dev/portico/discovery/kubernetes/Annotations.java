package dev.portico.discovery.kubernetes;

import dev.portico.api.BalancePolicy;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.InvalidConfigException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Service annotations Portico reads: service-announcer's {@value #L4PROXY_HEALTH_INTERVAL} and
 * Portico's own under {@value #PREFIX}. An unknown key under Portico's prefix is an error, so that a
 * typo does not silently leave a setting at its default.
 */
public final class Annotations {

    /** service-announcer's health interval, whole seconds. */
    public static final String L4PROXY_HEALTH_INTERVAL = "l4proxy.e13.dev/health-interval";
    public static final String PREFIX = "portico.dev/";
    /** Comma-separated exposure class names. */
    public static final String EXPOSURE = PREFIX + "exposure";
    public static final String HEALTH_INTERVAL = PREFIX + "health-interval";
    public static final String HEALTH_TIMEOUT = PREFIX + "health-timeout";
    public static final String HEALTH_RISE = PREFIX + "health-rise";
    public static final String HEALTH_FALL = PREFIX + "health-fall";
    /** {@code up} or {@code down}: whether a new backend takes connections before its first probe. */
    public static final String HEALTH_INITIAL = PREFIX + "health-initial";
    public static final String IDLE_TIMEOUT = PREFIX + "idle-timeout";
    public static final String CONNECT_TIMEOUT = PREFIX + "connect-timeout";
    /** {@code random}, {@code roundrobin} or {@code leastconn}. */
    public static final String BALANCE = PREFIX + "balance";

    /** Every key under {@link #PREFIX} that is understood. */
    public static final Set<String> KNOWN = Set.of(EXPOSURE, HEALTH_INTERVAL, HEALTH_TIMEOUT, HEALTH_RISE,
            HEALTH_FALL, HEALTH_INITIAL, IDLE_TIMEOUT, CONNECT_TIMEOUT, BALANCE);

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");
    private static final String DURATION_HELP = "use a whole number of seconds or units, e.g. 5, 5s, 250ms, 1m, 1h, 1m30s";

    private Annotations() {
    }

    /**
     * What a Service's annotations ask for.
     *
     * @param exposure       the exposure class names in written order, or null when the annotation is absent
     * @param health         the health check
     * @param idleTimeout    the idle timeout
     * @param connectTimeout the connect timeout
     * @param balance        the balancing policy
     */
    public record Settings(List<String> exposure, HealthCheck health, Duration idleTimeout, Duration connectTimeout,
                           BalancePolicy balance) {
        public Settings {
            exposure = exposure == null ? null : List.copyOf(exposure);
        }
    }

    /**
     * Reads the annotations of one Service.
     *
     * @param annotations the Service's annotations; null for none
     * @throws InvalidConfigException {@code annotation KEY: 'VALUE' is not ...}, for the first bad one in key order
     */
    public static Settings parse(Map<String, String> annotations) {
        Map<String, String> a = new TreeMap<>(annotations == null ? Map.of() : annotations);
        for (String key : a.keySet()) {
            if (key.startsWith(PREFIX) && !KNOWN.contains(key)) {
                String near = nearest(key);
                throw new InvalidConfigException("annotation " + key + " is not known to Portico"
                        + (near == null ? "" : " (did you mean " + near + "?)") + "; known: "
                        + String.join(", ", new TreeSet<>(KNOWN)));
            }
        }
        HealthCheck health = HealthCheck.DEFAULT;
        String l4 = a.get(L4PROXY_HEALTH_INTERVAL);
        if (l4 != null) {
            health = health.withInterval(Duration.ofSeconds(positiveInt(L4PROXY_HEALTH_INTERVAL, l4, Integer.MAX_VALUE)));
        }
        if (a.containsKey(HEALTH_INTERVAL)) {
            health = health.withInterval(duration(HEALTH_INTERVAL, a.get(HEALTH_INTERVAL)));
        }
        if (a.containsKey(HEALTH_TIMEOUT)) {
            health = health.withTimeout(duration(HEALTH_TIMEOUT, a.get(HEALTH_TIMEOUT)));
        }
        int rise = a.containsKey(HEALTH_RISE) ? positiveInt(HEALTH_RISE, a.get(HEALTH_RISE), 100) : health.rise();
        int fall = a.containsKey(HEALTH_FALL) ? positiveInt(HEALTH_FALL, a.get(HEALTH_FALL), 100) : health.fall();
        health = health.withThresholds(rise, fall);
        if (a.containsKey(HEALTH_INITIAL)) {
            health = health.withInitiallyUp(upOrDown(a.get(HEALTH_INITIAL)));
        }
        Duration idle = a.containsKey(IDLE_TIMEOUT) ? duration(IDLE_TIMEOUT, a.get(IDLE_TIMEOUT))
                : Frontend.DEFAULT_IDLE_TIMEOUT;
        Duration connect = a.containsKey(CONNECT_TIMEOUT) ? duration(CONNECT_TIMEOUT, a.get(CONNECT_TIMEOUT))
                : Frontend.DEFAULT_CONNECT_TIMEOUT;
        BalancePolicy balance = BalancePolicy.RANDOM;
        if (a.containsKey(BALANCE)) {
            try {
                balance = BalancePolicy.fromConfigName(a.get(BALANCE));
            } catch (InvalidConfigException e) {
                throw new InvalidConfigException("annotation " + BALANCE + ": '" + a.get(BALANCE)
                        + "' is not a balance policy (one of: " + BalancePolicy.names() + ")", e);
            }
        }
        return new Settings(a.containsKey(EXPOSURE) ? exposure(a.get(EXPOSURE)) : null, health, idle, connect,
                balance);
    }

    /**
     * Reads a positive duration: a bare number is seconds; otherwise a sequence of number-unit parts
     * ({@code ms}, {@code s}, {@code m}, {@code h}) as Go and l4proxy write them.
     */
    public static Duration parseDuration(String text) {
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

    private static Duration duration(String key, String value) {
        Duration d;
        try {
            d = parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' is not a duration ("
                    + DURATION_HELP + ")", e);
        }
        if (d.isZero()) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' must be longer than zero");
        }
        return d;
    }

    private static int positiveInt(String key, String value, int max) {
        String s = value.strip();
        if (s.isEmpty() || s.length() > 9 || !s.chars().allMatch(Character::isDigit)) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' is not a whole number"
                    + (key.equals(L4PROXY_HEALTH_INTERVAL) ? " of seconds" : ""));
        }
        int n = Integer.parseInt(s);
        if (n < 1 || n > max) {
            throw new InvalidConfigException("annotation " + key + ": '" + value + "' "
                    + (max == Integer.MAX_VALUE ? "must be at least 1" : "is out of range (1-" + max + ")"));
        }
        return n;
    }

    private static boolean upOrDown(String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "up", "true" -> true;
            case "down", "false" -> false;
            default -> throw new InvalidConfigException("annotation " + HEALTH_INITIAL + ": '" + value
                    + "' is neither up nor down");
        };
    }

    private static List<String> exposure(String value) {
        Set<String> names = new LinkedHashSet<>();
        for (String part : value.split(",", -1)) {
            String name = part.strip();
            if (name.isEmpty()) {
                throw new InvalidConfigException("annotation " + EXPOSURE + ": '" + value
                        + "' has an empty class name (write e.g. internal or internal,external)");
            }
            names.add(name);
        }
        return new ArrayList<>(names);
    }

    /** The known key within two edits of a mistyped one, if any. */
    private static String nearest(String key) {
        String best = null;
        int bestDistance = 3;
        for (String k : new TreeSet<>(KNOWN)) {
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

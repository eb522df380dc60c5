package dev.portico.api;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The table of a frontend's settings as its syntaxes write them: each row a key in config files, a
 * Service annotation, how its value is read, and what it sets on a {@link Frontend.Builder}. The
 * file reader (discovery-file) and the annotation reader (discovery-kubernetes) both fill a frontend
 * through {@link #ALL}, so a key means the same in both.
 *
 * <p><b>Adding a setting</b> is one row here (a constant listed in {@link #ALL}) plus its engine
 * behaviour: a field, accessor and builder method in {@link Frontend} (listed in its settings, so
 * {@link Frontend#sameSettings} sees it), and whatever the engine does with it. Both syntaxes and
 * their "did you mean" messages then know the key; SettingsSyntaxesTest (discovery-kubernetes) reads every row from a file
 * and from an annotation and expects the same frontend.
 *
 * <p>A row states <em>what</em> kind of value it takes ({@link Value#duration()},
 * {@link Value#networks()}, ...); each syntax reads that kind its own way (YAML types in files,
 * strings in annotations) and says what is wrong with the value's place in front. All of them share
 * one duration grammar ({@link Durations}), one network type ({@link Cidr}) and one spelling
 * distance ({@link #closest}).
 */
public final class FrontendSettings {

    /** Portico's annotation prefix; every key under it must be known. */
    public static final String ANNOTATION_PREFIX = "portico.dev/";
    /** service-announcer's prefix, of which Portico reads the health interval only. */
    public static final String L4PROXY_ANNOTATION_PREFIX = "l4proxy.e13.dev/";

    /** l4proxy's and service-announcer's health interval; {@link #HEALTH_INTERVAL} replaces it. */
    public static final Setting<Duration> L4PROXY_HEALTH_INTERVAL = new Setting<>("healthInterval",
            L4PROXY_ANNOTATION_PREFIX + "health-interval", Value::l4proxySeconds,
            unlessZero(Frontend.Builder::healthInterval));
    /** The time between health probes of one backend; zero for the default. */
    public static final Setting<Duration> HEALTH_INTERVAL = new Setting<>("health.interval",
            ANNOTATION_PREFIX + "health-interval", Value::duration, unlessZero(Frontend.Builder::healthInterval))
            .replacing(L4PROXY_HEALTH_INTERVAL);
    /** How long one health probe may take. */
    public static final Setting<Duration> HEALTH_TIMEOUT = new Setting<>("health.timeout",
            ANNOTATION_PREFIX + "health-timeout", Value::positiveDuration, Frontend.Builder::healthTimeout);
    /** Successful probes in a row that bring a down backend up. */
    public static final Setting<Integer> HEALTH_RISE = new Setting<>("health.rise",
            ANNOTATION_PREFIX + "health-rise", v -> v.wholeNumber(1, 100), Frontend.Builder::healthRise);
    /** Failed probes in a row that take an up backend down. */
    public static final Setting<Integer> HEALTH_FALL = new Setting<>("health.fall",
            ANNOTATION_PREFIX + "health-fall", v -> v.wholeNumber(1, 100), Frontend.Builder::healthFall);
    /** Whether a new backend takes connections before its first probe: {@code up} or {@code down}. */
    public static final Setting<Boolean> HEALTH_INITIAL = new Setting<>("health.initial",
            ANNOTATION_PREFIX + "health-initial", Value::upOrDown, Frontend.Builder::healthInitiallyUp);
    /** Whether probes run; without them only failed connects mark a backend down. */
    public static final Setting<Boolean> HEALTH_ENABLED = new Setting<>("health.enabled",
            ANNOTATION_PREFIX + "health-enabled", Value::bool, Frontend.Builder::healthEnabled);
    /** l4proxy's name for the idle timeout (files only); {@link #IDLE_TIMEOUT} replaces it. */
    public static final Setting<Duration> L4PROXY_TIMEOUT = new Setting<>("timeout", null, Value::duration,
            unlessZero(Frontend.Builder::idleTimeout));
    /** How long a connection may carry no bytes either way; zero for the default. */
    public static final Setting<Duration> IDLE_TIMEOUT = new Setting<>("idleTimeout",
            ANNOTATION_PREFIX + "idle-timeout", Value::duration, unlessZero(Frontend.Builder::idleTimeout))
            .replacing(L4PROXY_TIMEOUT);
    /** How long a connect to one backend may take before the next is tried. */
    public static final Setting<Duration> CONNECT_TIMEOUT = new Setting<>("connectTimeout",
            ANNOTATION_PREFIX + "connect-timeout", Value::positiveDuration, Frontend.Builder::connectTimeout);
    /** How a backend is picked. */
    public static final Setting<BalancePolicy> BALANCE = new Setting<>("balance", ANNOTATION_PREFIX + "balance",
            v -> v.choice("balance policy", BalancePolicy.names(), BalancePolicy::fromConfigName),
            Frontend.Builder::balance);
    /** The PROXY header sent to the backends: {@code off}, {@code v1} or {@code v2}. */
    public static final Setting<ProxyProtocol> PROXY_PROTOCOL = new Setting<>("proxyProtocol",
            ANNOTATION_PREFIX + "proxy-protocol", v -> v.parsed(ProxyProtocol::fromConfigName),
            Frontend.Builder::sendProxy);
    /** The networks allowed to send a PROXY header; given, the listener requires one. */
    public static final Setting<List<Cidr>> ACCEPT_PROXY = new Setting<>("acceptProxy.trusted",
            ANNOTATION_PREFIX + "accept-proxy", Value::networks, Frontend.Builder::acceptProxyFrom);
    /** How long a trusted peer may take to send its PROXY header; only with {@link #ACCEPT_PROXY}. */
    public static final Setting<Duration> ACCEPT_PROXY_TIMEOUT = new Setting<>("acceptProxy.timeout",
            ANNOTATION_PREFIX + "accept-proxy-timeout", Value::positiveDuration, Frontend.Builder::acceptProxyTimeout)
            .requiring(ACCEPT_PROXY, "the networks trusted to send PROXY headers");
    /** Only clients in these networks are served. */
    public static final Setting<List<Cidr>> ALLOW = new Setting<>("allow", ANNOTATION_PREFIX + "allow",
            Value::networks, Frontend.Builder::allow);
    /** Clients in these networks are refused. */
    public static final Setting<List<Cidr>> DENY = new Setting<>("deny", ANNOTATION_PREFIX + "deny",
            Value::networks, Frontend.Builder::deny);
    /** The most client connections open at once; 0 for no limit. */
    public static final Setting<Integer> MAX_CONNECTIONS = new Setting<>("maxConnections",
            ANNOTATION_PREFIX + "max-connections", v -> v.wholeNumber(0, Integer.MAX_VALUE),
            Frontend.Builder::maxConnections);
    /** How long a client IP keeps its backend; 0 for none. */
    public static final Setting<Duration> AFFINITY = new Setting<>("affinity", ANNOTATION_PREFIX + "affinity",
            Value::duration, Frontend.Builder::affinity);
    /** TLS server names the frontend is picked by on a shared bind. */
    public static final Setting<List<String>> SNI = new Setting<>("sni", ANNOTATION_PREFIX + "sni",
            Value::serverNames, Frontend.Builder::sni);

    /**
     * Every row, in the order values are applied (an older key before the one that replaces it, so
     * the newer wins) and keys are listed in messages.
     */
    public static final List<Setting<?>> ALL = List.of(L4PROXY_HEALTH_INTERVAL, HEALTH_INTERVAL, HEALTH_TIMEOUT,
            HEALTH_RISE, HEALTH_FALL, HEALTH_INITIAL, HEALTH_ENABLED, L4PROXY_TIMEOUT, IDLE_TIMEOUT, CONNECT_TIMEOUT,
            BALANCE, PROXY_PROTOCOL, ACCEPT_PROXY, ACCEPT_PROXY_TIMEOUT, ALLOW, DENY, MAX_CONNECTIONS, AFFINITY, SNI);

    private FrontendSettings() {
    }

    /**
     * One value as a syntax wrote it. Each method reads one kind of value and throws
     * {@link InvalidConfigException} saying what is wrong, in the syntax's words and with its place
     * (a file reader may instead record a problem per list item and return the good ones).
     */
    public interface Value {
        /** {@return a duration of zero or more ({@link Durations}' grammar); zero means off or the default} */
        Duration duration();

        /** {@return a duration longer than zero} */
        Duration positiveDuration();

        /**
         * {@return a health interval as l4proxy writes it: in files any duration (zero for the
         * default), in service-announcer's annotation a whole number of seconds, 1 or more}
         */
        Duration l4proxySeconds();

        /**
         * {@return a whole number from {@code min} to {@code max}}
         *
         * @param min the least allowed
         * @param max the most allowed
         */
        int wholeNumber(int min, int max);

        /** {@return {@code true} or {@code false}} */
        boolean bool();

        /** {@return {@code up} (true) or {@code down} (false)} */
        boolean upOrDown();

        /**
         * One of a closed set of names, read by {@code parser}.
         *
         * @param <T>    the type the names stand for
         * @param what   what the names are, for messages ({@code balance policy})
         * @param names  the names, for messages
         * @param parser reads a name; throws {@link InvalidConfigException} for another word
         * @return what the name stands for
         */
        <T> T choice(String what, String names, Function<String, T> parser);

        /**
         * A value read by a model type's own parser, whose message is kept.
         *
         * @param <T>    the type read
         * @param parser the model type's parser
         * @return what the parser read
         */
        <T> T parsed(Function<String, T> parser);

        /** {@return one or more networks ({@link Cidr})} */
        List<Cidr> networks();

        /** {@return TLS server names ({@link ServerNames}), without repeats} */
        List<String> serverNames();
    }

    /**
     * One row: a setting's keys, how its value is read, and what it sets.
     *
     * @param <T> the value read
     */
    public static final class Setting<T> {
        private final String fileKey;
        private final String annotationKey;
        private final Function<Value, T> reader;
        private final BiConsumer<Frontend.Builder, T> apply;
        private final Setting<T> replaces;
        private final Setting<?> requires;
        private final String requiredFor;

        private Setting(String fileKey, String annotationKey, Function<Value, T> reader,
                        BiConsumer<Frontend.Builder, T> apply) {
            this(fileKey, annotationKey, reader, apply, null, null, null);
        }

        private Setting(String fileKey, String annotationKey, Function<Value, T> reader,
                        BiConsumer<Frontend.Builder, T> apply, Setting<T> replaces, Setting<?> requires,
                        String requiredFor) {
            this.fileKey = Objects.requireNonNull(fileKey);
            this.annotationKey = annotationKey;
            this.reader = reader;
            this.apply = apply;
            this.replaces = replaces;
            this.requires = requires;
            this.requiredFor = requiredFor;
        }

        private Setting<T> replacing(Setting<T> older) {
            return new Setting<>(fileKey, annotationKey, reader, apply, older, requires, requiredFor);
        }

        private Setting<T> requiring(Setting<?> other, String what) {
            return new Setting<>(fileKey, annotationKey, reader, apply, replaces, other, what);
        }

        /**
         * {@return the key in a config file's frontend entry; a dot nests it in a block
         * ({@code health.interval} is {@code interval} in the {@code health} block)}
         */
        public String fileKey() {
            return fileKey;
        }

        /** {@return the whole Service annotation key, or {@code null} when Services cannot say it} */
        public String annotationKey() {
            return annotationKey;
        }

        /** {@return the older key this one replaces, or {@code null}: when both are given, this one wins} */
        public Setting<T> replaces() {
            return replaces;
        }

        /** {@return the setting without which this one has no effect, or {@code null}} */
        public Setting<?> requires() {
            return requires;
        }

        /**
         * {@return what {@link #requires()} gives, for messages ({@code the networks trusted to send
         * PROXY headers})}
         */
        public String requiredFor() {
            return requiredFor;
        }

        /**
         * Reads the value.
         *
         * @param value the value as a syntax wrote it
         * @return the value read
         * @throws InvalidConfigException when it is not one
         */
        public T read(Value value) {
            return reader.apply(value);
        }

        /**
         * Sets a value read by {@link #read} on a frontend being built.
         *
         * @param builder the frontend being built
         * @param value   the value read
         */
        public void apply(Frontend.Builder builder, T value) {
            apply.accept(builder, value);
        }

        /**
         * Reads the value and returns what sets it, for a syntax that reads all values before it sets any.
         *
         * @param value the value as a syntax wrote it
         * @return what sets the value read on a frontend being built
         * @throws InvalidConfigException when it is not a value
         */
        public Consumer<Frontend.Builder> reading(Value value) {
            T v = read(value);
            return b -> apply(b, v);
        }

        @Override
        public String toString() {
            return annotationKey == null ? fileKey : fileKey + " / " + annotationKey;
        }
    }

    /** l4proxy writes {@code 0s} for "the default" into every file, so zero sets nothing. */
    private static BiConsumer<Frontend.Builder, Duration> unlessZero(BiConsumer<Frontend.Builder, Duration> set) {
        return (b, d) -> {
            if (!d.isZero()) {
                set.accept(b, d);
            }
        };
    }

    /**
     * The known key a mistyped one most likely meant, or {@code null}: the closest by optimal string
     * alignment (a swap of neighbours is one edit), ignoring case, within one edit for keys under 4
     * characters, two under 10, three from 10 on: enough for typos, too few to reach another word.
     *
     * @param key   the mistyped key
     * @param known the keys known where it was written
     * @return the closest known key, or {@code null} when none is close enough
     */
    public static String closest(String key, Collection<String> known) {
        String k = key.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(k, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        int allowed = key.length() >= 10 ? 3 : key.length() >= 4 ? 2 : 1;
        return bestDistance <= allowed ? best : null;
    }

    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}

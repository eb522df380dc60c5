package dev.portico.discovery.file;

import dev.portico.api.AcceptProxy;
import dev.portico.api.Backend;
import dev.portico.api.Cidr;
import dev.portico.api.ProxyProtocol;
import dev.portico.api.ServerNames;
import dev.portico.api.BalancePolicy;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.Protocol;
import dev.portico.discovery.file.YamlNode.Entry;
import dev.portico.discovery.file.YamlNode.Mapping;
import dev.portico.discovery.file.YamlNode.Mark;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads one config file: l4proxy's v1 format ({@code apiVersion}, {@code frontends[].bind},
 * {@code backends[].address}, {@code healthInterval}, {@code timeout}) and Portico's extensions in the
 * same entries. Strict: every unknown key, wrong type and bad value is a {@link ConfigProblem} with
 * its line and column, and a file with any problem yields no frontends at all.
 *
 * <p>Each mapping is read through a table from key to setter ({@link #FRONTEND_KEYS} and friends);
 * a new per-frontend setting is one more row there.
 */
public final class ConfigParser {

    /** The longest line read; longer ones are refused before YAML parsing (see {@link #parse}). */
    public static final int MAX_LINE_CHARS = 64 << 10;
    /** The most text read from one file; a file on disk is limited to 256 KiB before this. */
    public static final int MAX_TEXT_CHARS = 256 << 10;

    /**
     * What one source may hold from all its files together, so that no set of files can exhaust a
     * small heap (the launcher's 64 MiB). Measured with {@code HeapBoundTest}'s files (the most
     * frontends and backends, beside the densest file being parsed and refused), a 20 MiB heap holds
     * it all. A file with more frontend entries than this is refused before they are built.
     */
    public static final int MAX_FRONTENDS = 4096;
    /** See {@link #MAX_FRONTENDS}. */
    public static final int MAX_BACKENDS = 16384;
    /** allow, deny and acceptProxy.trusted entries together; see {@link #MAX_FRONTENDS}. */
    public static final int MAX_NETWORKS = 16384;
    /** The bytes of the files whose frontends a source holds: a bound on every string taken from them. */
    public static final int MAX_SOURCE_BYTES = 1 << 20;

    /** The only format version there is, as l4proxy writes it. */
    public static final String API_VERSION = "v1";

    /**
     * What a file yields: its frontends when it has no problem, else no frontends and the problems.
     *
     * @param frontends the frontends in file order, entries with the same bind merged
     * @param problems  everything wrong, in file order; empty when the file is good
     */
    public record Result(List<Frontend> frontends, List<ConfigProblem> problems) {
        public Result {
            frontends = List.copyOf(frontends);
            problems = List.copyOf(problems);
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** Reads one {@code key: value} into a draft; throws {@link InvalidConfigException} for a bad value. */
    @FunctionalInterface
    interface Setter<T> {
        void set(Entry entry, T draft);
    }

    private static final Map<String, Setter<RootDraft>> ROOT_KEYS = new KeyTable<RootDraft>()
            .key("apiVersion", (e, d) -> d.apiVersion(e))
            .key("frontends", (e, d) -> d.frontends = Values.sequence(e))
            .build();

    static final Map<String, Setter<HealthDraft>> HEALTH_KEYS = new KeyTable<HealthDraft>()
            .key("interval", (e, d) -> d.interval = Setting.of(e, Values.duration(e)))
            .key("timeout", (e, d) -> d.check = d.check.withTimeout(Values.positiveDuration(e)))
            .key("rise", (e, d) -> d.check = d.check.withThresholds((int) Values.integer(e, 1, 100), d.check.fall()))
            .key("fall", (e, d) -> d.check = d.check.withThresholds(d.check.rise(), (int) Values.integer(e, 1, 100)))
            .key("initial", (e, d) -> d.check = d.check.withInitiallyUp("up".equals(Values.oneOf(e, "up", "down"))))
            .key("enabled", (e, d) -> {
                d.check = d.check.withEnabled(Values.bool(e));
                d.enabledGiven = true;
            })
            .build();

    static final Map<String, Setter<AcceptProxyDraft>> ACCEPT_PROXY_KEYS = new KeyTable<AcceptProxyDraft>()
            .key("trusted", (e, d) -> d.trusted = cidrs(Values.sequence(e), d.problems))
            .key("timeout", (e, d) -> d.timeout = Values.positiveDuration(e))
            .build();

    static final Map<String, Setter<BackendDraft>> BACKEND_KEYS = new KeyTable<BackendDraft>()
            .key("address", (e, d) -> d.backend = Backend.parse(Values.string(e)).withWeight(d.weight))
            .key("weight", (e, d) -> d.weight((int) Values.integer(e, 0, Backend.MAX_WEIGHT)))
            .build();

    /**
     * Per-frontend keys: the one place that maps a key to its setting. A new setting (PROXY
     * protocol, allow and deny lists) is a row here, and a field in {@link Frontend} when the model
     * lacks it.
     */
    static final Map<String, Setter<FrontendDraft>> FRONTEND_KEYS = new KeyTable<FrontendDraft>()
            .key("name", (e, d) -> d.builder.name(Values.printable(e)))
            .key("bind", (e, d) -> {
                d.bindGiven();
                d.builder.bind(BindAddress.parse(Values.string(e)));
            })
            .key("backends", (e, d) -> d.builder.backends(d.backends(Values.sequence(e))))
            .key("healthInterval", (e, d) -> d.healthInterval = Setting.of(e, Values.duration(e)))
            .key("health", (e, d) -> read(e.value(), "health", HEALTH_KEYS, d.health, d.problems))
            .key("timeout", (e, d) -> d.timeout = Setting.of(e, Values.duration(e)))
            .key("idleTimeout", (e, d) -> d.idleTimeout = Setting.of(e, Values.duration(e)))
            .key("connectTimeout", (e, d) -> d.builder.connectTimeout(Values.positiveDuration(e)))
            .key("balance", (e, d) -> d.builder.balance(BalancePolicy.fromConfigName(Values.string(e))))
            .key("proxyProtocol", (e, d) -> d.builder.sendProxy(ProxyProtocol.fromConfigName(Values.string(e))))
            .key("acceptProxy", (e, d) -> {
                AcceptProxyDraft a = new AcceptProxyDraft(d.problems);
                if (read(e.value(), "acceptProxy", ACCEPT_PROXY_KEYS, a, d.problems)) {
                    d.builder.acceptProxy(AcceptProxy.from(a.trusted, a.timeout));
                }
            })
            .key("allow", (e, d) -> d.builder.allow(cidrs(Values.sequence(e), d.problems)))
            .key("deny", (e, d) -> d.builder.deny(cidrs(Values.sequence(e), d.problems)))
            .key("maxConnections", (e, d) -> d.builder.maxConnections((int) Values.integer(e, 0, Integer.MAX_VALUE)))
            .key("affinity", (e, d) -> d.builder.affinity(Values.duration(e)))
            .key("protocol", (e, d) -> d.protocol(Protocol.fromConfigName(Values.string(e))))
            .key("sni", (e, d) -> d.sni(e.value().mark(), serverNames(Values.sequence(e), d.problems)))
            .build();


    private ConfigParser() {
    }

    /**
     * Parses one file's text.
     *
     * @param file   the file's name as messages should show it
     * @param text   the whole file
     * @param source the source name to stamp on each frontend
     */
    public static Result parse(String file, String text, String source) {
        Problems problems = new Problems(file);
        if (!withinLimits(text, problems)) {
            return new Result(List.of(), problems.list());
        }
        Optional<YamlNode> root;
        try {
            root = YamlReader.read(text);
        } catch (YamlReader.SyntaxException e) {
            problems.add(e.mark(), e.getMessage());
            return new Result(List.of(), problems.list());
        }
        if (root.isEmpty()) {
            // Nothing but comments or whitespace: a file that wants no frontends.
            return new Result(List.of(), List.of());
        }
        RootDraft draft = new RootDraft();
        if (!read(root.get(), "the file", ROOT_KEYS, draft, problems)) {
            return new Result(List.of(), problems.list());
        }
        if (!draft.apiVersionGiven) {
            problems.add(root.get().mark(), "missing 'apiVersion: " + API_VERSION + "' (the l4proxy format version)");
        }
        if (draft.frontends != null && draft.frontends.items().size() > MAX_FRONTENDS) {
            problems.add(draft.frontends.mark(), draft.frontends.items().size() + " frontends, more than the limit of "
                    + MAX_FRONTENDS + " per source");
            return new Result(List.of(), problems.list());
        }
        List<SameBindMerger.Entry> entries = new ArrayList<>();
        if (draft.frontends != null) {
            for (YamlNode item : draft.frontends.items()) {
                FrontendDraft fd = new FrontendDraft(problems);
                int before = problems.count();
                if (read(item, "a frontend", FRONTEND_KEYS, fd, problems)) {
                    Frontend f = fd.finish(item.mark(), source);
                    if (f != null && problems.count() == before) {
                        entries.add(new SameBindMerger.Entry(f, item.mark()));
                    }
                }
            }
        }
        List<Frontend> frontends = SameBindMerger.merge(entries, problems);
        return problems.count() == 0 ? new Result(frontends, List.of()) : new Result(List.of(), problems.list());
    }

    /**
     * Refuses text that would cost the YAML reader more than its size: SnakeYAML re-copies its buffer
     * for every chunk of a long token, so one 10 MB line takes minutes. Checked before any parsing,
     * in one pass.
     */
    private static boolean withinLimits(String text, Problems problems) {
        if (text.length() > MAX_TEXT_CHARS) {
            problems.add(new Mark(0, 0), text.length() + " characters, larger than the limit of " + MAX_TEXT_CHARS);
            return false;
        }
        int line = 1;
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == '\n') {
                if (i - start > MAX_LINE_CHARS) {
                    problems.add(new Mark(line, 1), "line is " + (i - start) + " characters long (limit "
                            + MAX_LINE_CHARS + ")");
                    return false;
                }
                line++;
                start = i + 1;
            }
        }
        return true;
    }

    /**
     * Reads a mapping through its key table. Unknown keys are problems (with the closest known key);
     * {@code null} values count as absent, as l4proxy's Go reader takes them.
     *
     * @return false when the node is not a mapping at all
     */
    static <T> boolean read(YamlNode node, String what, Map<String, Setter<T>> table, T draft, Problems problems) {
        if (!(node instanceof Mapping mapping)) {
            problems.add(node.mark(), "expected " + what + " to be a mapping of keys (" + String.join(", ", table.keySet())
                    + "), got " + node.kindName());
            return false;
        }
        for (Entry e : mapping.entries().values()) {
            Setter<T> setter = table.get(e.key());
            if (setter == null) {
                problems.add(e.keyMark(), Keys.unknown(e.key(), table.keySet()));
            } else if (!(e.value() instanceof YamlNode.Scalar s && s.isNull())) {
                try {
                    setter.set(e, draft);
                } catch (InvalidConfigException ex) {
                    problems.add(e.value().mark(), ex.getMessage());
                }
            }
        }
        return true;
    }

    /** Builds a key table in the order keys are listed in messages. */
    private static final class KeyTable<T> {
        private final Map<String, Setter<T>> map = new LinkedHashMap<>();

        KeyTable<T> key(String key, Setter<T> setter) {
            map.put(key, setter);
            return this;
        }

        Map<String, Setter<T>> build() {
            return Collections.unmodifiableMap(map);
        }
    }

    /** A value read from the file and where it was written, for messages about two settings at once. */
    record Setting<T>(T value, String key, Mark mark) {
        static <T> Setting<T> of(Entry e, T value) {
            return new Setting<>(value, e.key(), e.value().mark());
        }
    }

    private static final class RootDraft {
        private boolean apiVersionGiven;
        private YamlNode.Sequence frontends;

        void apiVersion(Entry e) {
            apiVersionGiven = true;
            String v = Values.string(e);
            if (!API_VERSION.equals(v)) {
                throw new InvalidConfigException("apiVersion: '" + v + "' is not supported; the only version is "
                        + API_VERSION);
            }
        }
    }

    /** The health block: interval is kept apart to check it against l4proxy's healthInterval. */
    static final class HealthDraft {
        Setting<Duration> interval;
        HealthCheck check = HealthCheck.DEFAULT;
        // UDP frontends probe only when the file says so: a TCP probe of a UDP service proves little.
        boolean enabledGiven;
    }

    /** The acceptProxy block; trusted networks are required. */
    static final class AcceptProxyDraft {
        private final Problems problems;
        private List<Cidr> trusted = List.of();
        private Duration timeout = AcceptProxy.DEFAULT_HEADER_TIMEOUT;

        AcceptProxyDraft(Problems problems) {
            this.problems = problems;
        }
    }

    /** Reads a list of networks, each problem at its own item. */
    static List<Cidr> cidrs(YamlNode.Sequence list, Problems problems) {
        List<Cidr> out = new ArrayList<>();
        for (YamlNode item : list.items()) {
            if (!(item instanceof YamlNode.Scalar s) || s.isNull()) {
                problems.add(item.mark(), "expected a network like 192.168.1.0/24 or fd00::/8, got " + item.kindName());
                continue;
            }
            try {
                out.add(Cidr.parse(s.text()));
            } catch (InvalidConfigException e) {
                problems.add(item.mark(), e.getMessage());
            }
        }
        return out;
    }

    /** Reads a list of TLS server names, each problem at its own item. */
    static List<String> serverNames(YamlNode.Sequence list, Problems problems) {
        List<String> out = new ArrayList<>();
        Map<String, Mark> seen = new LinkedHashMap<>();
        for (YamlNode item : list.items()) {
            if (!(item instanceof YamlNode.Scalar s) || s.isNull()) {
                problems.add(item.mark(), "expected a server name like grafana.example.org or *.apps.example.org, got "
                        + item.kindName());
                continue;
            }
            try {
                String name = ServerNames.parse(s.text());
                Mark first = seen.putIfAbsent(name, item.mark());
                if (first != null) {
                    problems.add(item.mark(), "server name " + name + " is listed twice (also at line " + first.line()
                            + ")");
                    continue;
                }
                out.add(name);
            } catch (InvalidConfigException e) {
                problems.add(item.mark(), e.getMessage());
            }
        }
        return out;
    }

    static final class BackendDraft {
        private Backend backend;
        private int weight = Backend.DEFAULT_WEIGHT;

        void weight(int w) {
            weight = w;
            if (backend != null) {
                backend = backend.withWeight(w);
            }
        }
    }

    /** Builds the list of one frontend's backends, rejecting an address listed twice. */
    static List<Backend> backends(YamlNode.Sequence list, Problems problems) {
        List<Backend> out = new ArrayList<>();
        Map<String, Mark> seen = new LinkedHashMap<>();
        for (YamlNode item : list.items()) {
            BackendDraft d = new BackendDraft();
            int before = problems.count();
            if (!read(item, "a backend", BACKEND_KEYS, d, problems) || problems.count() != before) {
                continue;
            }
            if (d.backend == null) {
                problems.add(item.mark(), "backend without 'address' (host:port, e.g. address: 10.0.0.10:80)");
                continue;
            }
            Mark first = seen.putIfAbsent(d.backend.address(), item.mark());
            if (first != null) {
                problems.add(item.mark(), "backend " + d.backend.address() + " is listed twice (also at line "
                        + first.line() + ")");
                continue;
            }
            out.add(d.backend);
        }
        return out;
    }
}

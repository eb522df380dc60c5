package dev.portico.discovery.file;

import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.FrontendSettings;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.Protocol;
import dev.portico.discovery.file.YamlNode.Entry;
import dev.portico.discovery.file.YamlNode.Mapping;
import dev.portico.discovery.file.YamlNode.Mark;
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
 * <p>Each mapping is read through a table from key to setter; a frontend's settings come from
 * {@link FrontendSettings}, the table the annotation reader shares, so a new setting is one row there.
 */
final class ConfigParser {

    /** The longest line read; longer ones are refused before YAML parsing (see {@link #parse}). */
    static final int MAX_LINE_CHARS = 64 << 10;
    /** The most text read from one file; a file on disk is limited to 256 KiB before this. */
    static final int MAX_TEXT_CHARS = 256 << 10;

    /**
     * What one source may hold from all its files together, so that no set of files can exhaust a
     * small heap (the launcher's 64 MiB). Measured with {@code HeapBoundTest}'s files (the most
     * frontends and backends, beside the densest file being parsed and refused), a 20 MiB heap holds
     * it all. A file with more frontend entries than this is refused before they are built.
     */
    static final int MAX_FRONTENDS = 4096;
    /** See {@link #MAX_FRONTENDS}. */
    static final int MAX_BACKENDS = 16384;
    /** allow, deny and acceptProxy.trusted entries together; see {@link #MAX_FRONTENDS}. */
    static final int MAX_NETWORKS = 16384;
    /** The bytes of the files whose frontends a source holds: a bound on every string taken from them. */
    static final int MAX_SOURCE_BYTES = 1 << 20;

    /** The only format version there is, as l4proxy writes it. */
    static final String API_VERSION = "v1";

    /**
     * What a file yields: its frontends when it has no problem, else no frontends and the problems.
     *
     * @param frontends the frontends in file order, entries with the same bind merged
     * @param problems  everything wrong, in file order; empty when the file is good
     */
    public record Result(List<Frontend> frontends, List<ConfigProblem> problems) {
        /**
         * Copies both lists, so a result never changes after it is made.
         *
         * @param frontends the frontends in file order
         * @param problems  everything wrong, in file order
         */
        public Result {
            frontends = List.copyOf(frontends);
            problems = List.copyOf(problems);
        }

        boolean ok() {
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

    static final Map<String, Setter<BackendDraft>> BACKEND_KEYS = new KeyTable<BackendDraft>()
            .key("address", (e, d) -> d.backend = Backend.parse(Values.string(e)).withWeight(d.weight))
            .key("weight", (e, d) -> d.weight((int) Values.integer(e, 0, Backend.MAX_WEIGHT)))
            .build();

    /**
     * Per-frontend keys: those of the file format alone, then every row of {@link FrontendSettings}
     * (a dotted file key such as {@code health.interval} is a key of a block).
     */
    static final Map<String, Setter<FrontendDraft>> FRONTEND_KEYS = frontendKeys();

    private static Map<String, Setter<FrontendDraft>> frontendKeys() {
        KeyTable<FrontendDraft> table = new KeyTable<FrontendDraft>()
                .key("name", (e, d) -> d.builder.name(Values.printable(e)))
                .key("bind", (e, d) -> {
                    d.bindGiven();
                    d.builder.bind(BindAddress.parse(Values.string(e)));
                })
                .key("backends", (e, d) -> d.builder.backends(backends(Values.sequence(e), d.problems)))
                .key("protocol", (e, d) -> d.protocol(Protocol.fromConfigName(Values.string(e))));
        Map<String, KeyTable<FrontendDraft>> blocks = new LinkedHashMap<>();
        for (FrontendSettings.Setting<?> s : FrontendSettings.ALL) {
            int dot = s.fileKey().indexOf('.');
            if (dot < 0) {
                table.key(s.fileKey(), (e, d) -> d.read(s, e));
                continue;
            }
            String block = s.fileKey().substring(0, dot);
            KeyTable<FrontendDraft> keys = blocks.get(block);
            if (keys == null) {
                keys = new KeyTable<>();
                blocks.put(block, keys);
                Map<String, Setter<FrontendDraft>> blockKeys = keys.map;
                table.key(block, (e, d) -> {
                    if (read(e.value(), block, Collections.unmodifiableMap(blockKeys), d, d.problems)) {
                        d.checkBlock(block, e.value().mark());
                    }
                });
            }
            keys.key(s.fileKey().substring(dot + 1), (e, d) -> d.read(s, e));
        }
        return table.build();
    }

    private ConfigParser() {
    }

    /**
     * Parses one file's text.
     *
     * @param file   the file's name as messages should show it
     * @param text   the whole file
     * @param source the source name to stamp on each frontend
     * @return the frontends, or the problems with their places: bad content is reported here,
     *         never thrown
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

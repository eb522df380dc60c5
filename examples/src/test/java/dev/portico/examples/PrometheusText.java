package dev.portico.examples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: every sample line is
 * {@code name{label="value",...} value}, belongs to a family declared by one {@code # TYPE} line
 * before it, appears once, and histograms have cumulative buckets ending in {@code +Inf} equal to
 * their {@code _count}. Anything else throws, naming the line.
 */
public final class PrometheusText {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: its name, labels (sorted by name) and value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types;
    private final List<Sample> samples;

    private PrometheusText(Map<String, String> types, List<Sample> samples) {
        this.types = types;
        this.samples = samples;
    }

    /** Every sample. */
    public List<Sample> samples() {
        return Collections.unmodifiableList(samples);
    }

    /** Family name to type, as the {@code # TYPE} lines declare them. */
    public Map<String, String> types() {
        return Collections.unmodifiableMap(types);
    }

    /** Every sample name that occurs. */
    public Set<String> sampleNames() {
        Set<String> names = new java.util.TreeSet<>();
        samples.forEach(s -> names.add(s.name));
        return names;
    }

    /**
     * The value of the one sample with this name whose labels include {@code labels} (pairs of
     * name, value); fails if there is none or more than one.
     */
    public double value(String name, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.size() != 1) {
            throw new AssertionError("expected one sample " + name + " " + List.of(labels) + ", found " + found);
        }
        return found.get(0).value;
    }

    /** Like {@link #value}, but 0 when there is no such sample (a counter not yet registered). */
    public double valueOrZero(String name, String... labels) {
        List<Sample> found = find(name, labels);
        return found.isEmpty() ? 0 : value(name, labels);
    }

    public List<Sample> find(String name, String... labels) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name.equals(name)) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                match &= labels[i + 1].equals(s.labels.get(labels[i]));
            }
            if (match) {
                out.add(s);
            }
        }
        return out;
    }

    public static PrometheusText parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, String> helps = new HashMap<>();
        List<Sample> samples = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        String[] lines = text.split("\n", -1);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition must end with a newline");
        }
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + ": '" + line + "': ";
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && parts[1].equals("TYPE")) {
                    if (parts.length != 4 || !NAME.matcher(parts[2]).matches() || !TYPES.contains(parts[3])) {
                        throw new IllegalArgumentException(where + "bad TYPE line");
                    }
                    if (types.put(parts[2], parts[3]) != null) {
                        throw new IllegalArgumentException(where + "second TYPE for " + parts[2]);
                    }
                } else if (parts.length >= 3 && parts[1].equals("HELP")) {
                    if (!NAME.matcher(parts[2]).matches() || helps.put(parts[2], parts.length == 4 ? parts[3] : "") != null) {
                        throw new IllegalArgumentException(where + "bad or repeated HELP line");
                    }
                }
                continue; // other comments are allowed
            }
            Sample s = sample(line, where);
            String family = family(s.name, types);
            if (family == null) {
                throw new IllegalArgumentException(where + "sample before its # TYPE line");
            }
            if (!seen.add(s.name + s.labels)) {
                throw new IllegalArgumentException(where + "duplicate sample");
            }
            samples.add(s);
        }
        PrometheusText parsed = new PrometheusText(types, samples);
        parsed.checkHistograms();
        return parsed;
    }

    /** The declared family a sample belongs to, or null. */
    private static String family(String sample, Map<String, String> types) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                String type = types.get(base);
                if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
                    return base;
                }
            }
        }
        return null;
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + "bad metric name");
        }
        Map<String, String> labels = new TreeMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (true) {
                if (line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = line.indexOf('=', i);
                if (eq < 0) {
                    throw new IllegalArgumentException(where + "label without '='");
                }
                String label = line.substring(i, eq);
                if (!LABEL.matcher(label).matches() || eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException(where + "bad label '" + label + "'");
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; j < line.length() && line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char e = line.charAt(++j);
                        value.append(switch (e) {
                            case '\\' -> '\\';
                            case '"' -> '"';
                            case 'n' -> '\n';
                            default -> throw new IllegalArgumentException(where + "bad escape \\" + e);
                        });
                    } else {
                        value.append(c);
                    }
                }
                if (j >= line.length()) {
                    throw new IllegalArgumentException(where + "unterminated label value");
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new IllegalArgumentException(where + "repeated label " + label);
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                } else if (line.charAt(i) != '}') {
                    throw new IllegalArgumentException(where + "expected ',' or '}'");
                }
            }
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new IllegalArgumentException(where + "expected a space before the value");
        }
        String[] rest = line.substring(i + 1).split(" ");
        if (rest.length < 1 || rest.length > 2) {
            throw new IllegalArgumentException(where + "expected 'value' or 'value timestamp'");
        }
        double v = switch (rest[0]) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(rest[0]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + "bad value '" + rest[0] + "'");
                }
            }
        };
        if (rest.length == 2 && !rest[1].matches("-?[0-9]+")) {
            throw new IllegalArgumentException(where + "bad timestamp");
        }
        return new Sample(name, labels, v);
    }

    private void checkHistograms() {
        for (Map.Entry<String, String> t : types.entrySet()) {
            if (!t.getValue().equals("histogram")) {
                continue;
            }
            Map<Map<String, String>, List<Sample>> byLabels = new HashMap<>();
            // Indexed once: a scan per label set is quadratic with thousands of frontends.
            Map<Map<String, String>, Double> counts = new HashMap<>();
            for (Sample s : samples) {
                if (s.name.equals(t.getKey() + "_count")) {
                    counts.putIfAbsent(s.labels, s.value);
                }
            }
            for (Sample s : samples) {
                if (s.name.equals(t.getKey() + "_bucket")) {
                    Map<String, String> rest = new TreeMap<>(s.labels);
                    if (rest.remove("le") == null) {
                        throw new IllegalArgumentException(s + ": bucket without le");
                    }
                    byLabels.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
                }
            }
            byLabels.forEach((labels, buckets) -> {
                buckets.sort((a, b) -> Double.compare(le(a), le(b)));
                for (int i = 1; i < buckets.size(); i++) {
                    if (buckets.get(i).value < buckets.get(i - 1).value) {
                        throw new IllegalArgumentException(t.getKey() + labels + ": buckets are not cumulative");
                    }
                }
                Sample last = buckets.get(buckets.size() - 1);
                if (le(last) != Double.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException(t.getKey() + labels + ": no +Inf bucket");
                }
                Double count = counts.get(labels);
                if (count == null) {
                    throw new IllegalArgumentException(t.getKey() + labels + ": no _count");
                }
                if (count != last.value) {
                    throw new IllegalArgumentException(t.getKey() + labels + ": +Inf bucket != _count");
                }
            });
        }
    }

    private static double le(Sample s) {
        String le = s.labels.get("le");
        return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
    }
}

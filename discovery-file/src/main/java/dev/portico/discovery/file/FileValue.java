package dev.portico.discovery.file;

import dev.portico.api.Cidr;
import dev.portico.api.FrontendSettings;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.ServerNames;
import dev.portico.discovery.file.YamlNode.Entry;
import dev.portico.discovery.file.YamlNode.Mark;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A setting's value as a config file writes it: YAML types (a bare number is seconds), lists as YAML
 * lists. A bad scalar throws with the key in front (the caller adds the value's place); a bad list
 * item is recorded at its own line and the good items are kept, so one pass reports them all.
 */
final class FileValue implements FrontendSettings.Value {
    private final Entry entry;
    private final Problems problems;

    FileValue(Entry entry, Problems problems) {
        this.entry = entry;
        this.problems = problems;
    }

    @Override
    public Duration duration() {
        return Values.duration(entry);
    }

    @Override
    public Duration positiveDuration() {
        return Values.positiveDuration(entry);
    }

    @Override
    public Duration l4proxySeconds() {
        return Values.duration(entry);
    }

    @Override
    public int wholeNumber(int min, int max) {
        return (int) Values.integer(entry, min, max);
    }

    @Override
    public boolean bool() {
        return Values.bool(entry);
    }

    @Override
    public boolean upOrDown() {
        return "up".equals(Values.oneOf(entry, "up", "down"));
    }

    @Override
    public <T> T choice(String what, String names, Function<String, T> parser) {
        return parser.apply(Values.string(entry));
    }

    @Override
    public <T> T parsed(Function<String, T> parser) {
        return parser.apply(Values.string(entry));
    }

    @Override
    public List<Cidr> networks() {
        return cidrs(Values.sequence(entry), problems);
    }

    @Override
    public List<String> serverNames() {
        return serverNames(Values.sequence(entry), problems);
    }

    /** Reads a list of networks, each problem at its own item. */
    private static List<Cidr> cidrs(YamlNode.Sequence list, Problems problems) {
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
    private static List<String> serverNames(YamlNode.Sequence list, Problems problems) {
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

}

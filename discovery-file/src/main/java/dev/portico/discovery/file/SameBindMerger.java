package dev.portico.discovery.file;

import dev.portico.api.Backend;
import dev.portico.api.Durations;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.discovery.file.YamlNode.Mark;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Folds entries of one file that share a bind into one frontend over all their backends, as
 * l4proxy's own example file expects (it lists {@code :80} twice, one backend each). Entries that
 * share a bind but differ in anything but backends are a mistake the file must fix: which settings
 * should win is not for a proxy to guess. Entries with server names ({@code sni}) are frontends of
 * their own on a shared bind and are never folded; the merge judges their names.
 */
final class SameBindMerger {

    /** A parsed entry and where it starts. */
    record Entry(Frontend frontend, Mark mark) {
    }

    private SameBindMerger() {
    }

    static List<Frontend> merge(List<Entry> entries, Problems problems) {
        List<Frontend> out = new ArrayList<>();
        List<Entry> firsts = new ArrayList<>();
        // Per protocol: a TCP and a UDP entry on one bind are two listeners (DNS serves both).
        Map<Frontend.Listen, Integer> slot = new HashMap<>();
        for (Entry e : entries) {
            Frontend f = e.frontend();
            // Port 0 asks for a fresh free port each time: two such entries are two listeners.
            boolean own = f.bind().port() == 0 || !f.sni().isEmpty();
            Integer at = own ? null : slot.get(f.listen());
            if (at == null) {
                if (!own) {
                    slot.put(f.listen(), out.size());
                }
                out.add(f);
                firsts.add(e);
                continue;
            }
            Entry first = firsts.get(at);
            String firstPlace = problems.place(first.mark());
            String diff = differences(first.frontend(), f);
            if (!diff.isEmpty()) {
                problems.add(e.mark(), "bind " + f.listen() + " is also used by the entry at " + firstPlace
                        + " with different settings (" + diff + "); entries with the same bind become one frontend"
                        + " only when everything but their backends agrees");
                continue;
            }
            Frontend merged = out.get(at);
            List<Backend> backends = new ArrayList<>(merged.backends());
            boolean clash = false;
            for (Backend b : f.backends()) {
                if (backends.stream().anyMatch(b::sameEndpoint)) {
                    problems.add(e.mark(), "backend " + b.address() + " of bind " + f.bind()
                            + " is listed both here and in the entry at " + firstPlace);
                    clash = true;
                }
                backends.add(b);
            }
            if (!clash) {
                out.set(at, merged.toBuilder().backends(backends).build());
            }
        }
        return out;
    }

    /** What differs, readable: {@code idleTimeout 1h vs 30m, balance random vs leastconn}. */
    static String differences(Frontend a, Frontend b) {
        List<String> d = new ArrayList<>();
        if (!a.name().equals(b.name())) {
            d.add("name '" + a.name() + "' vs '" + b.name() + "'");
        }
        if (!a.connectTimeout().equals(b.connectTimeout())) {
            d.add("connectTimeout " + Durations.format(a.connectTimeout()) + " vs " + Durations.format(b.connectTimeout()));
        }
        if (!a.idleTimeout().equals(b.idleTimeout())) {
            d.add("idleTimeout " + Durations.format(a.idleTimeout()) + " vs " + Durations.format(b.idleTimeout()));
        }
        if (a.balance() != b.balance()) {
            d.add("balance " + a.balance().configName() + " vs " + b.balance().configName());
        }
        health(a.health(), b.health(), d);
        if (d.isEmpty() && !a.sameSettings(b)) {
            // A setting added to the model later and not yet described here.
            d.add("other settings");
        }
        return String.join(", ", d);
    }

    private static void health(HealthCheck a, HealthCheck b, List<String> d) {
        if (!a.interval().equals(b.interval())) {
            d.add("health interval " + Durations.format(a.interval()) + " vs " + Durations.format(b.interval()));
        }
        if (!a.timeout().equals(b.timeout())) {
            d.add("health timeout " + Durations.format(a.timeout()) + " vs " + Durations.format(b.timeout()));
        }
        if (a.rise() != b.rise()) {
            d.add("health rise " + a.rise() + " vs " + b.rise());
        }
        if (a.fall() != b.fall()) {
            d.add("health fall " + a.fall() + " vs " + b.fall());
        }
        if (a.initiallyUp() != b.initiallyUp()) {
            d.add("health initial " + (a.initiallyUp() ? "up" : "down") + " vs " + (b.initiallyUp() ? "up" : "down"));
        }
        if (a.enabled() != b.enabled()) {
            d.add("health enabled " + a.enabled() + " vs " + b.enabled());
        }
    }
}

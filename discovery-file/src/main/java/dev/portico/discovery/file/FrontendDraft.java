package dev.portico.discovery.file;

import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.Protocol;
import dev.portico.discovery.file.ConfigParser.Setting;
import dev.portico.discovery.file.YamlNode.Mark;
import java.time.Duration;
import java.util.List;

/**
 * One frontend entry while it is read. Settings that map straight to the model go into the
 * {@link Frontend.Builder}; the l4proxy keys that Portico renamed ({@code timeout} and
 * {@code idleTimeout}, {@code healthInterval} and {@code health.interval}) are held apart so the pair
 * can be checked against each other once the whole entry is read.
 */
final class FrontendDraft {
    final Problems problems;
    // A placeholder until the bind key is read; finish() refuses an entry without one.
    final Frontend.Builder builder = Frontend.builder(BindAddress.wildcard(0));
    final ConfigParser.HealthDraft health = new ConfigParser.HealthDraft();
    Setting<Duration> healthInterval;
    Setting<Duration> timeout;
    Setting<Duration> idleTimeout;
    private boolean bindGiven;
    private Protocol protocol = Protocol.TCP;
    private Mark sniMark;

    FrontendDraft(Problems problems) {
        this.problems = problems;
    }

    /** Called by the bind setter before it parses, so a bad bind is not also reported as missing. */
    void bindGiven() {
        bindGiven = true;
    }

    void protocol(Protocol value) {
        protocol = value;
        builder.protocol(value);
    }

    void sni(Mark at, List<String> names) {
        sniMark = names.isEmpty() ? null : at;
        builder.sni(names);
    }

    List<Backend> backends(YamlNode.Sequence list) {
        return ConfigParser.backends(list, problems);
    }

    /**
     * The frontend, or {@code null} when the entry cannot make one (the problem is recorded).
     *
     * @param at where the entry starts; becomes the frontend's origin
     */
    Frontend finish(Mark at, String source) {
        if (!bindGiven) {
            problems.add(at, "missing 'bind' (where to listen, e.g. bind: :80)");
            return null;
        }
        boolean udp = protocol == Protocol.UDP;
        if (udp && sniMark != null) {
            // Said at the sni key rather than at the entry: that is the line to change.
            problems.add(sniMark, "sni applies to TCP frontends only: a UDP datagram carries no TLS server name"
                    + " (this entry has protocol: udp)");
            return null;
        }
        Duration idle = pick(timeout, idleTimeout, udp ? Frontend.DEFAULT_UDP_IDLE_TIMEOUT : Frontend.DEFAULT_IDLE_TIMEOUT);
        Duration interval = pick(healthInterval, health.interval, HealthCheck.DEFAULT_INTERVAL);
        HealthCheck check = health.check.withInterval(interval);
        if (udp && !health.enabledGiven) {
            check = check.withEnabled(false);
        }
        try {
            return builder.health(check)
                    .idleTimeout(idle)
                    .source(source)
                    .origin(problems.place(at))
                    .build();
        } catch (InvalidConfigException e) {
            problems.add(at, e.getMessage());
            return null;
        }
    }

    /**
     * Resolves an l4proxy key and the Portico key that replaces it. Zero means "the default" in
     * l4proxy ({@code timeout: 0s} is in every file it writes), so a zero never disagrees.
     */
    private Duration pick(Setting<Duration> legacy, Setting<Duration> modern, Duration fallback) {
        Setting<Duration> l = legacy == null || legacy.value().isZero() ? null : legacy;
        Setting<Duration> m = modern == null || modern.value().isZero() ? null : modern;
        if (l != null && m != null && !l.value().equals(m.value())) {
            problems.add(m.mark(), m.key() + " " + Durations.format(m.value()) + " disagrees with " + l.key() + " "
                    + Durations.format(l.value()) + " at line " + l.mark().line() + "; " + m.key() + " replaces "
                    + l.key() + ", so give only one of them");
        }
        return m != null ? m.value() : l != null ? l.value() : fallback;
    }
}

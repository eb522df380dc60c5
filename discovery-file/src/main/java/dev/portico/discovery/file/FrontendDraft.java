package dev.portico.discovery.file;

import dev.portico.api.BindAddress;
import dev.portico.api.Durations;
import dev.portico.api.Frontend;
import dev.portico.api.FrontendSettings;
import dev.portico.api.FrontendSettings.Setting;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.Protocol;
import dev.portico.discovery.file.YamlNode.Entry;
import dev.portico.discovery.file.YamlNode.Mark;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One frontend entry while it is read. The file format's own keys (name, bind, backends, protocol)
 * go into the {@link Frontend.Builder} at once; the {@link FrontendSettings} rows are read in file
 * order (so problems come in file order) and set in table order once the whole entry is read, so
 * that a key and the older key it replaces ({@code idleTimeout} and {@code timeout}) can be checked
 * against each other.
 */
final class FrontendDraft {
    final Problems problems;
    // A placeholder until the bind key is read; finish() refuses an entry without one.
    final Frontend.Builder builder = Frontend.builder(BindAddress.wildcard(0));
    private final Map<Setting<?>, Read> reads = new LinkedHashMap<>();
    private boolean bindGiven;
    private Protocol protocol = Protocol.TCP;

    /** A value read from the file, where it was written, and what sets it. */
    private record Read(Object value, String key, Mark mark, Consumer<Frontend.Builder> set) {
    }

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

    <T> void read(Setting<T> setting, Entry e) {
        T value = setting.read(new FileValue(e, problems));
        reads.put(setting, new Read(value, e.key(), e.value().mark(), b -> setting.apply(b, value)));
    }

    /**
     * Checks a block's settings on their own, so that what is wrong with the block as a whole
     * ({@code acceptProxy} without {@code trusted}) is reported at the block, and the block's settings
     * are then dropped.
     */
    void checkBlock(String block, Mark at) {
        Frontend.Builder alone = Frontend.builder(BindAddress.wildcard(0));
        boolean any = false;
        for (Map.Entry<Setting<?>, Read> r : reads.entrySet()) {
            if (r.getKey().fileKey().startsWith(block + ".")) {
                r.getValue().set().accept(alone);
                any = true;
            }
        }
        String acceptProxy = FrontendSettings.ACCEPT_PROXY.fileKey();
        if (!any && acceptProxy.startsWith(block + ".")) {
            // An empty acceptProxy block asks for PROXY headers from nobody: a half-written setting,
            // not "off" (leaving the block out is off).
            alone.acceptProxyFrom(List.of());
        }
        try {
            alone.build();
        } catch (InvalidConfigException e) {
            problems.add(at, e.getMessage());
            // Said once, at the block: not again at the entry.
            reads.keySet().removeIf(s -> s.fileKey().startsWith(block + "."));
        }
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
        Read sni = reads.get(FrontendSettings.SNI);
        if (protocol == Protocol.UDP && sni != null && !((List<?>) sni.value()).isEmpty()) {
            // Said at the sni key rather than at the entry: that is the line to change.
            problems.add(sni.mark(), "sni applies to TCP frontends only: a UDP datagram carries no TLS server name"
                    + " (this entry has protocol: udp)");
            return null;
        }
        for (Setting<?> s : FrontendSettings.ALL) {
            Read r = reads.get(s);
            if (r == null) {
                continue;
            }
            if (s.replaces() != null) {
                checkAgreement(r, reads.get(s.replaces()));
            }
            try {
                r.set().accept(builder);
            } catch (InvalidConfigException e) {
                problems.add(r.mark(), e.getMessage());
            }
        }
        try {
            return builder.source(source).origin(problems.place(at)).build();
        } catch (InvalidConfigException e) {
            problems.add(at, e.getMessage());
            return null;
        }
    }

    /**
     * A key and the l4proxy key it replaces must not both say something different. Zero means "the
     * default" in l4proxy ({@code timeout: 0s} is in every file it writes), so a zero never disagrees.
     */
    private void checkAgreement(Read modern, Read legacy) {
        if (legacy == null || !(modern.value() instanceof Duration m) || !(legacy.value() instanceof Duration l)
                || m.isZero() || l.isZero() || m.equals(l)) {
            return;
        }
        problems.add(modern.mark(), modern.key() + " " + Durations.format(m) + " disagrees with " + legacy.key() + " "
                + Durations.format(l) + " at line " + legacy.mark().line() + "; " + modern.key() + " replaces "
                + legacy.key() + ", so give only one of them");
    }
}

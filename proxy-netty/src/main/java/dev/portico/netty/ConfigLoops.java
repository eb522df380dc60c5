package dev.portico.netty;

import dev.portico.api.ApplyResult;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.LoopCheck;
import dev.portico.api.ProxyEvents;
import dev.portico.api.UnresolvableBindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps loops out of what the engine applies: a new or changed frontend whose backends lead back
 * to the router keeps its running version if it has one (the last good configuration keeps
 * serving), else is not opened; every other frontend is applied as asked. Frontends that were
 * already running unchanged are never touched here: a loop among them alone (an interface
 * address that moved) is only reported, and the connect-time {@link LoopGuard} stops it.
 */
final class ConfigLoops {

    /**
     * @param apply    what to run, by engine key
     * @param loops    every loop found, each once, for the report
     * @param refused  keys of new frontends not opened because they loop
     */
    record Result(Map<String, Frontend> apply, List<LoopCheck.Loop> loops, Set<String> refused) {
    }

    private static final Logger log = LoggerFactory.getLogger(ConfigLoops.class);

    private final Predicate<InetAddress> local;
    private final ProxyEvents events;
    // Control thread only: the loops reported and still present, so each is reported once.
    private Set<String> reported = Set.of();

    ConfigLoops(Predicate<InetAddress> local, ProxyEvents events) {
        this.local = local;
        this.events = events;
    }

    /**
     * What to apply of {@code wanted}: reports each loop once while it lasts, placed at its
     * frontend's origin, and adds a failure for each new frontend not opened. Control thread.
     */
    Map<String, Frontend> filter(Map<String, Frontend> wanted, Map<String, FrontendRuntime> running,
                                 List<ApplyResult.ListenerFailure> failures) {
        Result r = find(wanted, running, local);
        Set<String> now = new HashSet<>();
        for (LoopCheck.Loop l : r.loops()) {
            String text = l.toString();
            now.add(text);
            if (r.refused().contains(NettyForwardingEngine.key(l.frontend()))) {
                failures.add(new ApplyResult.ListenerFailure(l.frontend().name(), l.frontend().bind(), text));
            }
            if (!reported.contains(text)) {
                // Reported through the event; the application decides how loud to be.
                log.debug("{}", text);
                events.onConfigRejected(l.toError());
            }
        }
        reported = Set.copyOf(now);
        return r.apply();
    }

    static Result find(Map<String, Frontend> wanted, Map<String, FrontendRuntime> running,
                       Predicate<InetAddress> local) {
        Map<String, Frontend> current = new LinkedHashMap<>(wanted);
        List<LoopCheck.Loop> reported = new ArrayList<>();
        Set<String> fixed = new HashSet<>();
        Set<String> refused = new HashSet<>();
        // Each round reverts or drops every changed frontend on a cycle; a frontend is fixed at
        // most once, so this ends.
        while (true) {
            List<LoopCheck.Loop> loops = LoopCheck.find(listeners(current, running), local);
            boolean changed = false;
            for (LoopCheck.Loop l : loops) {
                String k = NettyForwardingEngine.key(l.frontend());
                FrontendRuntime rt = running.get(k);
                if (fixed.contains(k) || rt != null && rt.config().equals(l.frontend())) {
                    continue;
                }
                fixed.add(k);
                reported.add(l);
                changed = true;
                if (rt != null) {
                    current.put(k, rt.config());
                } else {
                    current.remove(k);
                    refused.add(k);
                }
            }
            if (!changed) {
                for (LoopCheck.Loop l : loops) {
                    if (!fixed.contains(NettyForwardingEngine.key(l.frontend()))) {
                        reported.add(l);
                    }
                }
                return new Result(current, reported, refused);
            }
        }
    }

    private static List<LoopCheck.Listener> listeners(Map<String, Frontend> current,
                                                      Map<String, FrontendRuntime> running) {
        List<LoopCheck.Listener> out = new ArrayList<>(current.size());
        for (Map.Entry<String, Frontend> e : current.entrySet()) {
            InetSocketAddress at = listenAddress(e.getValue(), running.get(e.getKey()));
            if (at != null) {
                out.add(new LoopCheck.Listener(e.getValue(), at));
            }
        }
        return out;
    }

    /** Where a frontend listens or will: its bound address when running, else its bind's. */
    private static InetSocketAddress listenAddress(Frontend f, FrontendRuntime rt) {
        if (rt != null && rt.config().bind().equals(f.bind()) && rt.boundAddress() != null) {
            return rt.boundAddress();
        }
        BindAddress b = f.bind();
        if (b.port() == 0) {
            // The port is the OS's choice: no configured backend can name it.
            return null;
        }
        try {
            return b.resolve();
        } catch (UnresolvableBindException e) {
            // It will fail to bind and be reported as such.
            return null;
        }
    }
}

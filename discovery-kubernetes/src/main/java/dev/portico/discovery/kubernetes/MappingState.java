package dev.portico.discovery.kubernetes;

import dev.portico.api.Frontend;
import dev.portico.api.SourceError;
import io.fabric8.kubernetes.api.model.Service;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the source remembers between two rebuilds, per Service (by UID): the last frontends that
 * mapped cleanly, so a Service whose annotation turns bad keeps serving them; the problem reported
 * for it, so a problem is reported once and its fix is reported as a recovery; and the ports
 * already reported as not served. Used on the source's thread only.
 */
final class MappingState {

    private static final Logger LOG = LoggerFactory.getLogger(MappingState.class);

    /** Where reports go. */
    interface Reports {
        void error(SourceError error);

        void recovered(String place);
    }

    private record Problem(String origin, String message) {
    }

    private final ServiceMapper mapper;
    private final String source;
    private final Reports reports;
    private final Map<String, List<Frontend>> lastGood = new HashMap<>();
    private final Map<String, Problem> problems = new HashMap<>();
    private final Map<String, String> ignored = new HashMap<>();
    private Set<String> unserved = Set.of();

    MappingState(ServiceMapper mapper, String source, Reports reports) {
        this.mapper = mapper;
        this.source = source;
        this.reports = reports;
    }

    /**
     * Maps every Service and returns the frontends to publish, in the Services' order.
     *
     * @param ordered the Services that pass the filters, oldest first
     */
    List<Frontend> update(List<Service> ordered) {
        List<Frontend> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Set<String> nowUnserved = new HashSet<>();
        for (Service service : ordered) {
            String key = ServiceMapper.key(service);
            String origin = ServiceMapper.origin(service);
            seen.add(key);
            ServiceMapper.Result result = mapper.map(service);
            if (result instanceof ServiceMapper.Mapped m) {
                mapped(key, origin, m, out, nowUnserved);
            } else if (result instanceof ServiceMapper.Ignored i) {
                ignored(key, origin, i);
            } else if (result instanceof ServiceMapper.Rejected r) {
                rejected(key, origin, r, out);
            }
        }
        for (String gone : new ArrayList<>(problems.keySet())) {
            if (!seen.contains(gone)) {
                clearProblem(gone, "is gone");
            }
        }
        lastGood.keySet().retainAll(seen);
        ignored.keySet().retainAll(seen);
        unserved = Set.copyOf(nowUnserved);
        return out;
    }

    private void mapped(String key, String origin, ServiceMapper.Mapped m, List<Frontend> out, Set<String> nowUnserved) {
        ignored.remove(key);
        lastGood.put(key, m.frontends());
        out.addAll(m.frontends());
        clearProblem(key, "is valid again");
        for (String port : m.unserved()) {
            String id = key + "|" + port;
            nowUnserved.add(id);
            if (!unserved.contains(id)) {
                String message = port;
                LOG.debug("{}: {}", origin, message); // reported to the listener, which logs it
                reports.error(new SourceError(source, origin, message));
            }
        }
    }

    private void ignored(String key, String origin, ServiceMapper.Ignored i) {
        lastGood.remove(key);
        clearProblem(key, "no longer asks to be served");
        if (!i.reason().equals(ignored.put(key, i.reason()))) {
            if (i.reason().startsWith("not exposed")) {
                LOG.info("{}: {}", origin, i.reason());
            } else {
                LOG.debug("{}: ignored: {}", origin, i.reason());
            }
        }
    }

    private void rejected(String key, String origin, ServiceMapper.Rejected r, List<Frontend> out) {
        ignored.remove(key);
        List<Frontend> kept = lastGood.get(key);
        if (kept != null) {
            out.addAll(kept);
        }
        Problem p = new Problem(origin, r.problem());
        if (!p.equals(problems.put(key, p))) {
            String outcome = kept == null ? "it is not served"
                    : "its last good configuration (" + kept.size() + " frontends) keeps serving";
            LOG.debug("{}; {}", r.message(), outcome); // reported to the listener, which logs it
            reports.error(new SourceError(source, origin, r.problem() + "; " + outcome));
        }
    }

    private void clearProblem(String key, String why) {
        Problem p = problems.remove(key);
        if (p != null) {
            LOG.info("{}: {}; its problem is resolved", p.origin(), why);
            reports.recovered(p.origin());
        }
    }

    /** For tests and status: the Services with an unresolved problem, by {@code namespace/name}. */
    Map<String, String> problems() {
        Map<String, String> out = new HashMap<>();
        problems.values().forEach(p -> out.put(p.origin(), p.message()));
        return out;
    }
}

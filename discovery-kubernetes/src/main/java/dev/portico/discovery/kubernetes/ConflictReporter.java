package dev.portico.discovery.kubernetes;

import dev.portico.api.Conflict;
import dev.portico.api.Frontend;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Reports the Services that lose a bind to another, older Service, as the merge judges it
 * ({@link Snapshot#conflicts()}; this class decides nothing itself), to the people who can act: a warning in the log, a {@link SourceError}, and a {@code Warning} Event on the losing Service
 * (so {@code kubectl describe service} shows it). Each distinct conflict is reported once while it
 * lasts. Events are best effort: RBAC may forbid them, and their creation never blocks the source.
 */
final class ConflictReporter implements AutoCloseable {

    static final String REASON = "BindConflict";
    private static final Logger LOG = LoggerFactory.getLogger(ConflictReporter.class);

    private final String source;
    private final KubernetesClient client;
    private final Consumer<SourceError> errors;
    private final Consumer<String> recovered;
    private final ExecutorService eventsExecutor;
    private final AtomicBoolean eventFailureLogged = new AtomicBoolean();
    private final String instance;
    // conflict key -> the losing Service's namespace/name
    private Map<String, String> reported = Map.of();

    /**
     * @param source the source name, for errors
     * @param client where to create Events; null for none
     * @param errors    where the errors go
     * @param recovered where the end of a conflict goes, with the loser's namespace/name
     */
    ConflictReporter(String source, KubernetesClient client, Consumer<SourceError> errors,
                     Consumer<String> recovered) {
        this.source = source;
        this.client = client;
        this.errors = errors;
        this.recovered = recovered;
        this.eventsExecutor = client == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "portico-kubernetes-events");
            t.setDaemon(true);
            return t;
        });
        String host = System.getenv("HOSTNAME");
        this.instance = host == null || host.isBlank() ? "portico" : host;
    }

    /**
     * Reports the conflicts of one snapshot as {@link Snapshot#conflicts()} judged them: the
     * snapshot lists the oldest Service first, so the older Service is the winner. Called on the
     * source's thread only.
     *
     * @param snapshot the snapshot as published
     * @param byOrigin the Service behind each {@code namespace/name} origin
     */
    void report(Snapshot snapshot, Map<String, Service> byOrigin) {
        Map<String, String> now = new HashMap<>();
        for (Conflict c : snapshot.conflicts()) {
            Frontend f = c.loser();
            Frontend winner = c.winner();
            String contested = c.serverName() == null ? "" : c.serverName();
            Service loserService = byOrigin.get(f.origin());
            Service winnerService = byOrigin.get(winner.origin());
            String key = keyOf(loserService, f.origin()) + "|" + f.listen() + "|" + contested + "|"
                    + keyOf(winnerService, winner.origin());
            now.put(key, f.origin());
            if (reported.containsKey(key)) {
                continue;
            }
            boolean tie = winnerService != null && loserService != null
                    && ServiceMapper.createdAt(winnerService).equals(ServiceMapper.createdAt(loserService));
            String message = "bind " + f.listen() + (contested.isEmpty() ? "" : " server name " + contested)
                    + " is already taken by " + winner.origin()
                    + (winnerService == null ? "" : " (created " + ServiceMapper.createdAt(winnerService) + ")")
                    + (tie ? ", created in the same second and first in namespace/name order" : ", which is older")
                    + "; frontend " + f.name() + " is not served";
            LOG.debug("{}: {}", f.origin(), message); // reported to the listener, which logs it
            errors.accept(new SourceError(source, f.origin(), message));
            if (loserService != null) {
                postEvent(loserService, message);
            }
        }
        Set<String> over = new TreeSet<>(reported.values());
        over.removeAll(now.values());
        for (String origin : over) {
            LOG.info("{}: its bind conflicts are over", origin);
            recovered.accept(origin);
        }
        reported = Map.copyOf(now);
    }

    private static String keyOf(Service service, String origin) {
        return service == null ? origin : ServiceMapper.key(service);
    }

    private void postEvent(Service loser, String message) {
        if (eventsExecutor == null) {
            return;
        }
        Event event = event(loser, message);
        try {
            eventsExecutor.execute(() -> create(event));
        } catch (RejectedExecutionException e) {
            LOG.debug("not posting the {} event on {}: the source is closing", REASON, ServiceMapper.origin(loser), e);
        }
    }

    private Event event(Service loser, String message) {
        Instant stamp = Instant.now();
        String now = stamp.truncatedTo(ChronoUnit.SECONDS).toString();
        String namespace = loser.getMetadata().getNamespace();
        return new EventBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                // as kubectl's recorder names them: the object's name and the time in hex nanoseconds
                .withName(loser.getMetadata().getName() + "." + Long.toHexString(stamp.getEpochSecond() * 1_000_000_000L
                        + stamp.getNano()))
                .endMetadata()
                .withNewInvolvedObject()
                .withApiVersion("v1")
                .withKind("Service")
                .withNamespace(namespace)
                .withName(loser.getMetadata().getName())
                .withUid(loser.getMetadata().getUid())
                .withResourceVersion(loser.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType("Warning")
                .withReason(REASON)
                .withMessage(message)
                .withNewSource().withComponent("portico").withHost(instance).endSource()
                .withReportingComponent("portico")
                .withReportingInstance(instance)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .build();
    }

    private void create(Event event) {
        String where = event.getMetadata().getNamespace() + "/" + event.getInvolvedObject().getName();
        try {
            client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
            LOG.debug("posted a {} event on Service {}", REASON, where);
        } catch (KubernetesClientException e) {
            if (eventFailureLogged.compareAndSet(false, true)) {
                LOG.info("cannot create a Kubernetes Event on Service {} ({}); bind conflicts are reported "
                        + "in this log only{}", where, ConnectionMonitor.reason(e), e.getCode() == 403
                        ? "; grant 'create' on 'events' to report them on the Services" : "");
            } else {
                LOG.debug("cannot create a Kubernetes Event on Service {}", where, e);
            }
        } catch (RuntimeException e) {
            // e.g. the client closed under us: an Event is never worth failing for
            LOG.debug("cannot create a Kubernetes Event on Service {}", where, e);
        }
    }

    @Override
    public void close() {
        if (eventsExecutor != null) {
            eventsExecutor.shutdownNow();
        }
    }
}

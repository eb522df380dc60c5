package dev.portico.discovery.kubernetes;

import dev.portico.api.SourceError;
import dev.portico.discovery.kubernetes.KubernetesServiceSource.WatchState;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * Follows the informers' connection to the API server and reports an outage once, when it starts
 * (at once for a failure before the first list, after a grace period for a lost watch, which the
 * informer also drops briefly when it renews a watch), and its end as a recovery. The informers do
 * the retrying, with exponential backoff; this only tells.
 */
final class ConnectionMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionMonitor.class);
    static final Duration OUTAGE_GRACE = Duration.ofSeconds(2);

    private final String source;
    private final String apiUrl;
    private final List<SharedIndexInformer<Service>> informers;
    private final Consumer<SourceError> errors;
    private final Consumer<String> recovered;
    private volatile Throwable lastFailure;
    // Only touched by check(), on the source's thread.
    private boolean outageReported;
    private long notWatchingSinceNanos;

    /**
     * @param informers the live list of the source's informers
     * @param errors    where an outage is reported
     * @param recovered where its end is reported, with the API URL as the place
     */
    ConnectionMonitor(String source, String apiUrl, List<SharedIndexInformer<Service>> informers,
                      Consumer<SourceError> errors, Consumer<String> recovered) {
        this.source = source;
        this.apiUrl = apiUrl;
        this.informers = informers;
        this.errors = errors;
        this.recovered = recovered;
    }

    /** A list or watch failed (any thread). */
    void failed(Throwable t) {
        lastFailure = t;
    }

    boolean allSynced() {
        return !informers.isEmpty() && informers.stream().allMatch(SharedIndexInformer::hasSynced);
    }

    WatchState state() {
        if (informers.isEmpty()) {
            return WatchState.CONNECTING;
        }
        if (!allSynced()) {
            return lastFailure == null ? WatchState.CONNECTING : WatchState.RETRYING;
        }
        return informers.stream().allMatch(SharedIndexInformer::isWatching) ? WatchState.WATCHING : WatchState.RETRYING;
    }

    /** Reports a change of state; on the source's thread. */
    WatchState check() {
        WatchState state = state();
        if (state == WatchState.WATCHING) {
            notWatchingSinceNanos = 0;
            lastFailure = null;
            if (outageReported) {
                outageReported = false;
                LOG.info("watching Services at {} again", apiUrl);
                recovered.accept(apiUrl);
            }
            return state;
        }
        if (state != WatchState.RETRYING || outageReported) {
            return state;
        }
        long now = System.nanoTime();
        if (notWatchingSinceNanos == 0) {
            notWatchingSinceNanos = now;
        }
        boolean synced = allSynced();
        Throwable failure = lastFailure;
        if (!synced || now - notWatchingSinceNanos >= OUTAGE_GRACE.toNanos()) {
            String message = synced
                    ? "lost the watch on the Kubernetes API at " + apiUrl + (failure == null ? "" : ": " + reason(failure))
                    + "; the last known Services keep serving while it reconnects"
                    : refused(failure) ? "the Kubernetes API at " + apiUrl + " refuses to list Services ("
                    + reason(failure) + "); grant get, list and watch on services; retrying"
                    : "cannot reach the Kubernetes API at " + apiUrl + ": " + reason(failure) + "; retrying";
            // The listener logs it (the launcher at ERROR); here only for debugging an embedding.
            LOG.debug("source {}: {}", source, message);
            outageReported = true;
            errors.accept(new SourceError(source, apiUrl, message));
        }
        return state;
    }

    private static boolean refused(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof KubernetesClientException k && (k.getCode() == 401 || k.getCode() == 403)) {
                return true;
            }
        }
        return false;
    }

    /**
     * What went wrong, short: the first exception that is not a mere wrapper, with its message, and
     * the root cause when that is another ({@code ConnectException, caused by ClosedChannelException}).
     */
    static String reason(Throwable t) {
        if (t == null) {
            return "unknown reason";
        }
        Throwable first = t;
        while ((first instanceof CompletionException || first instanceof ExecutionException) && first.getCause() != null) {
            first = first.getCause();
        }
        Throwable root = first;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (first instanceof KubernetesClientException k && k.getCode() > 0 && k.getStatus() != null
                && k.getStatus().getMessage() != null) {
            return "HTTP " + k.getCode() + ": " + k.getStatus().getMessage(); // the API server's own words
        }
        String code = first instanceof KubernetesClientException k && k.getCode() > 0 ? "HTTP " + k.getCode() + ": " : "";
        String text = code + first.getClass().getSimpleName() + (first.getMessage() == null ? "" : ": " + first.getMessage());
        if (root != first) {
            text += ", caused by " + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        }
        return text;
    }
}

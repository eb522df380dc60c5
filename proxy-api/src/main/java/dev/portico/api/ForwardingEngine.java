package dev.portico.api;

import java.time.Duration;

/**
 * Runs a desired state: listeners, backend sets, health checks. Implementations diff each new
 * desired state against what runs and do the least: a new bind opens a listener, a gone bind
 * closes it and drains its connections, a changed backend list is swapped in place, and a
 * connection whose backend stays configured is never cut.
 */
public interface ForwardingEngine extends AutoCloseable {

    /**
     * Makes {@code desired} the running state and returns what changed. Returns once new listeners
     * are bound or have failed; a failed listener is reported in the result and through
     * {@link ProxyEvents#onListenerFailed} while the others keep running. Calls are serialised.
     *
     * @param desired the complete state to run; what it leaves out is stopped
     * @return what changed; empty when {@code desired} is what already runs
     */
    ApplyResult apply(DesiredState desired);

    /**
     * What runs now; cheap enough to poll.
     *
     * @return a snapshot of listeners, connections and backend health, which does not change afterwards
     */
    EngineStatus status();

    /**
     * Stops accepting, lets open connections finish for up to {@code drainDeadline}, then cuts
     * the rest and releases every resource. Blocks until done.
     *
     * @param drainDeadline how long open connections may take to finish before they are cut
     */
    void close(Duration drainDeadline);

    /** {@link #close(Duration)} with a short deadline. */
    @Override
    default void close() {
        close(Duration.ofSeconds(5));
    }
}

package dev.portico.netty;

import dev.portico.api.Backend;
import dev.portico.api.HealthCheck;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend of a running frontend: its live connection count (read by balancers) and its
 * health. Health transitions are rare and synchronised on this object; the hot path only reads
 * the volatile fields and the frontend's published list of usable backends.
 */
final class BackendState implements Balancer.Candidate {
    private volatile Backend backend;
    private final InetSocketAddress literalAddress;
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean healthy;
    private volatile String lastError;
    // Guarded by this.
    private boolean confirmed;
    private int successes;
    private int failures;
    // While set and in the future, a successful probe does not bring the backend up: it connected
    // to this router itself.
    private long loopHoldUntil;
    private boolean loopHeld;

    BackendState(Backend backend, boolean initiallyUp) {
        this.backend = backend;
        this.healthy = initiallyUp;
        this.literalAddress = literal(backend);
    }

    /** The socket address of an IP-literal backend (no lookup needed), else an unresolved one. */
    private static InetSocketAddress literal(Backend b) {
        return b.ipAddress().map(a -> new InetSocketAddress(a, b.port()))
                .orElseGet(() -> InetSocketAddress.createUnresolved(b.host(), b.port()));
    }

    @Override
    public Backend backend() {
        return backend;
    }

    void updateWeight(Backend newBackend) {
        backend = newBackend;
    }

    @Override
    public int activeConnections() {
        return active.get();
    }

    /** A connection to this backend is being opened (it counts from the connect attempt on). */
    void connectionOpened() {
        active.incrementAndGet();
    }

    /** A connection counted by {@link #connectionOpened()} failed or ended. */
    void connectionClosed() {
        active.decrementAndGet();
    }

    InetSocketAddress address() {
        return literalAddress;
    }

    boolean healthy() {
        return healthy;
    }

    String lastError() {
        return lastError;
    }

    /**
     * Records an active probe's result.
     *
     * @return whether the backend changed between up and down
     */
    synchronized boolean probeResult(boolean ok, String error, HealthCheck hc) {
        if (ok && loopHeld && System.nanoTime() - loopHoldUntil < 0) {
            return false;
        }
        if (!ok) {
            lastError = error;
        }
        if (!confirmed) {
            // The first probe decides, whatever the initial assumption was.
            confirmed = true;
            successes = ok ? 1 : 0;
            failures = ok ? 0 : 1;
            return setHealthy(ok);
        }
        if (ok) {
            failures = 0;
            successes++;
            return !healthy && successes >= hc.rise() && setHealthy(true);
        }
        successes = 0;
        failures++;
        return healthy && failures >= hc.fall() && setHealthy(false);
    }

    /** A client connect failed: down at once (passive check). */
    synchronized boolean connectFailed(String error, HealthCheck hc) {
        lastError = error;
        confirmed = true;
        successes = 0;
        failures = hc.fall();
        return setHealthy(false);
    }

    /**
     * A connection to this backend came back to the router: down at once, and kept down for
     * {@code holdNanos} whatever the probes say (a probe to a loop succeeds).
     */
    synchronized boolean loopDetected(String error, long holdNanos) {
        lastError = error;
        confirmed = true;
        successes = 0;
        loopHeld = true;
        loopHoldUntil = System.nanoTime() + holdNanos;
        return setHealthy(false);
    }

    /** Without active checks a passively failed backend gets another chance after a hold time. */
    synchronized boolean holdExpired() {
        successes = 0;
        failures = 0;
        return setHealthy(true);
    }

    private boolean setHealthy(boolean up) {
        if (healthy == up) {
            return false;
        }
        healthy = up;
        return true;
    }
}

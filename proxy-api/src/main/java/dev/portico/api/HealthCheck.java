package dev.portico.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Active TCP health checking of a frontend's backends: a probe is a TCP connect within
 * {@code timeout}, every {@code interval}. A backend goes down after {@code fall} failed probes
 * in a row and up again after {@code rise} successful ones, so one lost probe does not flap it. A
 * failed client connect marks the backend down at once (passive check).
 *
 * <p>A record that may grow: a new component comes with a constructor of the old shape. Start from
 * {@link #DEFAULT} and the {@code with} methods, or set single values on {@link Frontend.Builder}.
 *
 * @param enabled      whether probes run at all; without them only failed connects mark a backend down
 * @param interval     time between probes of one backend
 * @param timeout      how long one probe may take to connect
 * @param rise         successes in a row that bring a down backend up
 * @param fall         failures in a row that take an up backend down
 * @param initiallyUp  whether a newly added backend takes connections before its first probe
 *                     succeeds (true by default, so a new Service answers at once)
 */
public record HealthCheck(boolean enabled, Duration interval, Duration timeout, int rise, int fall,
                          boolean initiallyUp) {
    /** The probe interval when none is configured: 5 seconds. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    static final int DEFAULT_RISE = 2;
    static final int DEFAULT_FALL = 3;
    /**
     * Probes on: every 5 seconds, 2 seconds to connect, up after 2 successes, down after 3
     * failures, a new backend up before its first probe.
     */
    public static final HealthCheck DEFAULT =
            new HealthCheck(true, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_RISE, DEFAULT_FALL, true);

    /**
     * Checks the ranges.
     *
     * @param enabled     whether probes run at all
     * @param interval    time between probes of one backend, positive
     * @param timeout     how long one probe may take to connect, positive
     * @param rise        successes in a row that bring a down backend up, 1-100
     * @param fall        failures in a row that take an up backend down, 1-100
     * @param initiallyUp whether a newly added backend takes connections before its first probe succeeds
     * @throws InvalidConfigException when a value is out of range
     */
    public HealthCheck {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        if (interval.isNegative() || interval.isZero()) {
            throw new InvalidConfigException("health check interval must be positive, got " + interval);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidConfigException("health check timeout must be positive, got " + timeout);
        }
        if (rise < 1 || rise > 100) {
            throw new InvalidConfigException("health check rise must be 1-100, got " + rise);
        }
        if (fall < 1 || fall > 100) {
            throw new InvalidConfigException("health check fall must be 1-100, got " + fall);
        }
    }

    /**
     * These settings with another interval.
     *
     * @param newInterval time between probes of one backend, positive
     * @return a new health check
     * @throws InvalidConfigException when the interval is not positive
     */
    public HealthCheck withInterval(Duration newInterval) {
        return new HealthCheck(enabled, newInterval, timeout, rise, fall, initiallyUp);
    }

    /**
     * These settings with another probe timeout.
     *
     * @param newTimeout how long one probe may take to connect, positive
     * @return a new health check
     * @throws InvalidConfigException when the timeout is not positive
     */
    public HealthCheck withTimeout(Duration newTimeout) {
        return new HealthCheck(enabled, interval, newTimeout, rise, fall, initiallyUp);
    }

    /**
     * These settings with other thresholds.
     *
     * @param newRise successes in a row that bring a down backend up, 1-100
     * @param newFall failures in a row that take an up backend down, 1-100
     * @return a new health check
     * @throws InvalidConfigException when a threshold is out of range
     */
    public HealthCheck withThresholds(int newRise, int newFall) {
        return new HealthCheck(enabled, interval, timeout, newRise, newFall, initiallyUp);
    }

    /**
     * These settings with another start state for new backends.
     *
     * @param up true if a new backend takes connections before its first probe succeeds, false to wait for it
     * @return a new health check
     */
    public HealthCheck withInitiallyUp(boolean up) {
        return new HealthCheck(enabled, interval, timeout, rise, fall, up);
    }

    /**
     * These settings with probes on or off.
     *
     * @param on false to run no probes, so that only failed connects mark a backend down
     * @return a new health check
     */
    public HealthCheck withEnabled(boolean on) {
        return new HealthCheck(on, interval, timeout, rise, fall, initiallyUp);
    }
}

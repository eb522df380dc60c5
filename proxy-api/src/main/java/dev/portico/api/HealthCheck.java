package dev.portico.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Active TCP health checking of a frontend's backends: a probe is a TCP connect within
 * {@code timeout}, every {@code interval}. A backend goes down after {@code fall} failed probes
 * in a row and up again after {@code rise} successful ones, so one lost probe does not flap it. A
 * failed client connect marks the backend down at once (passive check).
 *
 * @param enabled      whether probes run at all; without them only failed connects mark a backend down
 * @param interval     time between probes of one backend
 * @param timeout      how long one probe may take to connect
 * @param rise         successes in a row that bring a down backend up
 * @param fall         failures in a row that take an up backend down
 * @param initiallyUp  whether a newly added backend takes connections before its first probe
 *                     succeeds (true by default, so a new Service answers at once)
 *
 * <p>A record that may grow: a new component comes with a constructor of the old shape. Start from
 * {@link #DEFAULT} and the {@code with} methods, or set single values on {@link Frontend.Builder}.
 */
public record HealthCheck(boolean enabled, Duration interval, Duration timeout, int rise, int fall,
                          boolean initiallyUp) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_RISE = 2;
    public static final int DEFAULT_FALL = 3;
    public static final HealthCheck DEFAULT =
            new HealthCheck(true, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_RISE, DEFAULT_FALL, true);

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

    public HealthCheck withInterval(Duration newInterval) {
        return new HealthCheck(enabled, newInterval, timeout, rise, fall, initiallyUp);
    }

    public HealthCheck withTimeout(Duration newTimeout) {
        return new HealthCheck(enabled, interval, newTimeout, rise, fall, initiallyUp);
    }

    public HealthCheck withThresholds(int newRise, int newFall) {
        return new HealthCheck(enabled, interval, timeout, newRise, newFall, initiallyUp);
    }

    public HealthCheck withInitiallyUp(boolean up) {
        return new HealthCheck(enabled, interval, timeout, rise, fall, up);
    }

    public HealthCheck withEnabled(boolean on) {
        return new HealthCheck(on, interval, timeout, rise, fall, initiallyUp);
    }
}

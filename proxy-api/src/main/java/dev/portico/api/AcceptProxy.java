package dev.portico.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Accepting a PROXY protocol header (v1 or v2, detected) on a frontend's listener, for a router
 * chained behind another balancer. Only peers in {@code trusted} may send one; every connection
 * must start with a valid header within {@code headerTimeout}, or it is closed and counted, never
 * forwarded.
 *
 * @param enabled       whether the listener expects headers
 * @param trusted       the peers allowed to connect (and so to state a client address)
 * @param headerTimeout how long a peer may take to send the header
 */
public record AcceptProxy(boolean enabled, List<Cidr> trusted, Duration headerTimeout) {
    /** The header timeout when none is configured: 3 seconds. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(3);
    /** No header expected: what a client sends is forwarded from its first byte. */
    public static final AcceptProxy OFF = new AcceptProxy(false, List.of(), DEFAULT_HEADER_TIMEOUT);

    /**
     * Checks the settings.
     *
     * @param enabled       whether the listener expects headers
     * @param trusted       the peers allowed to connect; copied
     * @param headerTimeout how long a peer may take to send the header
     * @throws InvalidConfigException when the timeout is not positive, or headers are enabled
     *                                without a trusted network
     */
    public AcceptProxy {
        trusted = List.copyOf(trusted);
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        if (headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw new InvalidConfigException("PROXY header timeout must be positive, got " + headerTimeout);
        }
        if (enabled && trusted.isEmpty()) {
            throw new InvalidConfigException("accepting PROXY headers needs at least one trusted network");
        }
    }

    /**
     * Headers expected, from these peers only.
     *
     * @param trusted       the peers allowed to connect, at least one
     * @param headerTimeout how long a peer may take to send the header, positive
     * @return the enabled setting
     * @throws InvalidConfigException as the constructor
     */
    public static AcceptProxy from(List<Cidr> trusted, Duration headerTimeout) {
        return new AcceptProxy(true, trusted, headerTimeout);
    }
}

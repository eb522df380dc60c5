package dev.portico.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;

/**
 * One destination of a frontend. Identity is host and port: a changed weight updates the backend
 * in place.
 *
 * <p>A record that may grow: a new component comes with a constructor of the old shape, so code
 * that calls {@code new Backend(host, port, weight)} keeps compiling.
 *
 * @param host   an IP address literal (IPv6 without brackets) or a host name, resolved at connect time
 * @param port   the TCP port, 1-65535
 * @param weight the relative share of new connections, 0-256; 0 takes no new connections
 */
public record Backend(String host, int port, int weight) {
    /** The weight of a backend given without one. */
    public static final int DEFAULT_WEIGHT = 1;
    /** The largest weight, as in HAProxy. */
    public static final int MAX_WEIGHT = 256;

    /**
     * Checks the ranges.
     *
     * @param host   an IP address literal (IPv6 without brackets) or a host name
     * @param port   the port, 1-65535
     * @param weight the relative share of new connections, 0-{@value #MAX_WEIGHT}
     * @throws InvalidConfigException when the host is empty or a number is out of range
     */
    public Backend {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new InvalidConfigException("backend host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new InvalidConfigException("backend port " + port + " is out of range (1-65535)");
        }
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw new InvalidConfigException("backend weight " + weight + " is out of range (0-" + MAX_WEIGHT + ")");
        }
    }

    /**
     * A backend of weight {@value #DEFAULT_WEIGHT}.
     *
     * @param host an IP address literal (IPv6 without brackets) or a host name
     * @param port the port, 1-65535
     * @throws InvalidConfigException when the host is empty or the port is out of range
     */
    public Backend(String host, int port) {
        this(host, port, DEFAULT_WEIGHT);
    }

    /**
     * Reads a backend address as files and annotations write it.
     *
     * @param address {@code host:port} or {@code [v6addr]:port}
     * @return the backend, of weight {@value #DEFAULT_WEIGHT}
     * @throws InvalidConfigException naming the address and what is wrong with it, also when it is null
     */
    public static Backend parse(String address) {
        if (address == null) {
            throw new InvalidConfigException("backend address is missing");
        }
        HostPort.Parts parts = HostPort.split(address, "backend address", false, false);
        return new Backend(parts.host(), parts.port());
    }

    /**
     * The same endpoint with another weight.
     *
     * @param newWeight 0-{@value #MAX_WEIGHT}
     * @return a new backend
     * @throws InvalidConfigException when the weight is out of range
     */
    public Backend withWeight(int newWeight) {
        return new Backend(host, port, newWeight);
    }

    /**
     * Whether two backends are the same destination, whatever their weights.
     *
     * @param other another backend
     * @return true if host and port are equal (the host as written: a name and its address differ)
     */
    public boolean sameEndpoint(Backend other) {
        return port == other.port && host.equals(other.host);
    }

    /**
     * {@return the address when the host is an IP literal, without any name-service query; empty for a
     * host name, which is resolved at connect time}
     */
    public Optional<InetAddress> ipAddress() {
        int percent = host.indexOf('%');
        InetAddress a = IpLiterals.parse(percent < 0 ? host : host.substring(0, percent));
        if (a == null || percent < 0) {
            return Optional.ofNullable(a);
        }
        try {
            // Only the JDK reads a link-local address's zone (fe80::1%eth0); a literal still asks no name service.
            return Optional.of(InetAddress.getByName(host));
        } catch (UnknownHostException e) {
            // A zone that names no interface here: connecting would fail like an unknown host's.
            return Optional.empty();
        }
    }

    /**
     * The address as {@link #parse} reads it back.
     *
     * @return {@code host:port}, with brackets around an IPv6 literal
     */
    public String address() {
        return HostPort.format(host, port);
    }

    @Override
    public String toString() {
        return weight == DEFAULT_WEIGHT ? address() : address() + " weight " + weight;
    }
}

package dev.portico.api;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a frontend listens. Written as {@code host:port}, {@code [v6addr]:port}, {@code :port} or
 * {@code port} (every address, IPv4 and IPv6), or {@code @iface:port} (the first address of that
 * interface; IPv4 unless written {@code @iface/6:port}, as l4proxy reads it once at start while
 * Portico follows the interface as its address changes). Port 0 asks the OS for a free port.
 *
 * @param kind   which of the written forms this is
 * @param host   the host name or address literal for {@link Kind#HOST}, else {@code null}
 * @param iface  the interface name for {@link Kind#INTERFACE}, else {@code null}
 * @param family the address family taken from the interface for {@link Kind#INTERFACE}, else {@code null}
 * @param port   the TCP port, 0 for any free port
 */
public record BindAddress(Kind kind, String host, String iface, IpFamily family, int port) {

    private static final Pattern IFACE = Pattern.compile("[A-Za-z0-9_.@-]{1,15}");

    /** The forms a bind address takes. */
    public enum Kind {
        /** {@code :port}: every local address. */
        WILDCARD,
        /** {@code host:port}: one address, written as a literal or a host name. */
        HOST,
        /** {@code @iface:port}: the current address of a network interface. */
        INTERFACE
    }

    /**
     * Checks that the components fit the kind; the factories {@link #wildcard}, {@link #host},
     * {@link #iface} and {@link #parse} are the usual way to make one.
     *
     * @param kind   which of the written forms this is
     * @param host   the host name or address literal for {@link Kind#HOST}, else {@code null}
     * @param iface  the interface name for {@link Kind#INTERFACE}, else {@code null}
     * @param family the address family for {@link Kind#INTERFACE}, else {@code null}
     * @param port   the TCP port, 0-65535, 0 for any free port
     * @throws InvalidConfigException when the port is out of range
     * @throws IllegalArgumentException when a component is given that the kind does not have
     */
    public BindAddress {
        Objects.requireNonNull(kind, "kind");
        if (port < 0 || port > 65535) {
            throw new InvalidConfigException("port " + port + " is out of range (0-65535)");
        }
        switch (kind) {
            case WILDCARD -> {
                if (host != null || iface != null || family != null) {
                    throw new IllegalArgumentException("a wildcard bind has no host, interface or family");
                }
            }
            case HOST -> {
                Objects.requireNonNull(host, "host");
                if (iface != null || family != null) {
                    throw new IllegalArgumentException("a host bind has no interface or family");
                }
            }
            case INTERFACE -> {
                Objects.requireNonNull(iface, "iface");
                Objects.requireNonNull(family, "family");
                if (host != null) {
                    throw new IllegalArgumentException("an interface bind has no host");
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * Every local address, IPv4 and IPv6.
     *
     * @param port 0-65535, 0 for any free port
     * @return {@code :port}
     * @throws InvalidConfigException when the port is out of range
     */
    public static BindAddress wildcard(int port) {
        return new BindAddress(Kind.WILDCARD, null, null, null, port);
    }

    /**
     * One address, resolved when the listener opens.
     *
     * @param host an address literal (IPv6 without brackets) or a host name
     * @param port 0-65535, 0 for any free port
     * @return {@code host:port}
     * @throws InvalidConfigException when the port is out of range
     */
    public static BindAddress host(String host, int port) {
        return new BindAddress(Kind.HOST, host, null, null, port);
    }

    /**
     * The current address of a network interface, followed as it changes.
     *
     * @param iface  the interface's name ({@code eth1})
     * @param family which of its addresses to take
     * @param port   0-65535, 0 for any free port
     * @return {@code @iface:port}
     * @throws InvalidConfigException when the port is out of range
     */
    public static BindAddress iface(String iface, IpFamily family, int port) {
        return new BindAddress(Kind.INTERFACE, null, iface, family, port);
    }

    /**
     * Parses every written form; the message of the exception says what is wrong and shows the
     * right form where the mistake is a common one.
     *
     * @param text a bind address in any of the forms above; surrounding spaces are ignored
     * @return the address; a host name is not resolved here, but by {@link #resolve()}
     * @throws InvalidConfigException when the text is null, empty or not one of the forms
     */
    public static BindAddress parse(String text) {
        if (text == null) {
            throw new InvalidConfigException("bind address is missing");
        }
        String s = text.strip();
        if (s.isEmpty()) {
            throw new InvalidConfigException("bind address is empty");
        }
        if (s.chars().allMatch(Character::isDigit)) {
            return wildcard(HostPort.port(s, text, "bind address", true));
        }
        if (s.startsWith("@")) {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw new InvalidConfigException("bind address '" + text + "': expected @interface:port");
            }
            String name = s.substring(1, colon);
            IpFamily family = IpFamily.IPV4;
            int slash = name.indexOf('/');
            if (slash >= 0) {
                String fam = name.substring(slash + 1).toLowerCase(Locale.ROOT);
                name = name.substring(0, slash);
                family = switch (fam) {
                    case "4", "ipv4", "inet" -> IpFamily.IPV4;
                    case "6", "ipv6", "inet6" -> IpFamily.IPV6;
                    default -> throw new InvalidConfigException("bind address '" + text + "': unknown address family '"
                            + fam + "' (use @" + name + "/4:port or @" + name + "/6:port)");
                };
            }
            if (!IFACE.matcher(name).matches()) {
                throw new InvalidConfigException("bind address '" + text + "': '" + name
                        + "' is not a valid interface name");
            }
            return iface(name, family, HostPort.port(s.substring(colon + 1), text, "bind address", true));
        }
        HostPort.Parts parts = HostPort.split(s, "bind address", true, true);
        return parts.host() == null ? wildcard(parts.port()) : host(parts.host(), parts.port());
    }

    /**
     * The same bind on another port, as when a Service port is exposed on an exposure address.
     *
     * @param newPort 0-65535
     * @return a new bind address
     * @throws InvalidConfigException when the port is out of range
     */
    public BindAddress withPort(int newPort) {
        return new BindAddress(kind, host, iface, family, newPort);
    }

    /**
     * Resolves to the socket address to listen on now: the interface's current first address of
     * the wanted family, or the host's address. Call it again when a listener is reopened: an
     * interface's address may have changed.
     *
     * @return the address and port to bind; the wildcard address for {@link Kind#WILDCARD}
     * @throws UnresolvableBindException with the reason when the interface is missing, down or
     *                                   has no address of the family, or the host does not resolve
     */
    public InetSocketAddress resolve() throws UnresolvableBindException {
        return switch (kind) {
            case WILDCARD -> new InetSocketAddress(port);
            case HOST -> {
                try {
                    yield new InetSocketAddress(InetAddress.getByName(host), port);
                } catch (UnknownHostException e) {
                    throw new UnresolvableBindException(this, "host '" + host + "' does not resolve");
                }
            }
            case INTERFACE -> new InetSocketAddress(interfaceAddress(), port);
        };
    }

    private InetAddress interfaceAddress() throws UnresolvableBindException {
        NetworkInterface nif;
        try {
            nif = NetworkInterface.getByName(iface);
            if (nif == null) {
                throw new UnresolvableBindException(this, "no network interface named '" + iface + "'");
            }
            if (!nif.isUp()) {
                throw new UnresolvableBindException(this, "interface '" + iface + "' is down");
            }
        } catch (SocketException e) {
            throw new UnresolvableBindException(this, "cannot read interface '" + iface + "': " + e.getMessage());
        }
        // The interface's first routable address; a loopback address only when it has nothing
        // else (the order of addresses is the kernel's and differs between kernels, so "first"
        // alone would pick ::1 over a global address on lo), a link-local one only as a last resort
        // since it works only with its scope.
        InetAddress loopback = null;
        InetAddress linkLocal = null;
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
            if (!family.matches(a)) {
                continue;
            }
            if (a.isLoopbackAddress()) {
                loopback = loopback == null ? a : loopback;
            } else if (a instanceof Inet6Address && a.isLinkLocalAddress()) {
                linkLocal = linkLocal == null ? a : linkLocal;
            } else {
                return a;
            }
        }
        if (loopback != null) {
            return loopback;
        }
        if (linkLocal != null) {
            return linkLocal;
        }
        throw new UnresolvableBindException(this, "interface '" + iface + "' has no "
                + (family == IpFamily.IPV4 ? "IPv4" : "IPv6") + " address");
    }

    /** The canonical written form, which {@link #parse} reads back to an equal value. */
    @Override
    public String toString() {
        return switch (kind) {
            case WILDCARD -> ":" + port;
            case HOST -> HostPort.format(host, port);
            case INTERFACE -> "@" + iface + (family == IpFamily.IPV6 ? "/6" : "") + ":" + port;
        };
    }
}

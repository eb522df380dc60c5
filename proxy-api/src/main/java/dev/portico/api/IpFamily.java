package dev.portico.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Which address family an interface bind ({@code @eth0:80}) takes. */
public enum IpFamily {
    /** An IPv4 address; the default of {@code @iface:port}. */
    IPV4,
    /** An IPv6 address, written {@code @iface/6:port}. */
    IPV6;

    boolean matches(InetAddress address) {
        return this == IPV4 ? address instanceof Inet4Address : address instanceof Inet6Address;
    }
}

package dev.portico.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Which address family an interface bind ({@code @eth0:80}) takes. */
public enum IpFamily {
    IPV4,
    IPV6;

    public boolean matches(InetAddress address) {
        return this == IPV4 ? address instanceof Inet4Address : address instanceof Inet6Address;
    }
}

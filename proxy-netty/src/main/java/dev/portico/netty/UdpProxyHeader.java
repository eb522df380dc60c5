package dev.portico.netty;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The PROXY protocol v2 header in its UDP form (HAProxy's proxy-protocol.txt, section 2.2): the
 * same binary header as for TCP with the transport nibble 2 (DGRAM), {@code 0x12} for IPv4 and
 * {@code 0x22} for IPv6, put before every datagram. A flow's addresses never change, so its header
 * is built once and copied in front of each datagram.
 */
final class UdpProxyHeader {
    private static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** Version 2, command PROXY. */
    private static final byte VERSION_PROXY = 0x21;
    static final byte UDP4 = 0x12;
    static final byte UDP6 = 0x22;

    private UdpProxyHeader() {
    }

    /** The header stating {@code client} as source and {@code local} (the frontend) as destination. */
    static byte[] of(InetSocketAddress client, InetSocketAddress local) {
        InetAddress src = client.getAddress();
        InetAddress dst = local.getAddress();
        // Both in one family: an IPv4 address beside an IPv6 one is written IPv4-mapped.
        boolean v4 = src instanceof Inet4Address && dst instanceof Inet4Address;
        int alen = v4 ? 4 : 16;
        byte[] h = new byte[16 + 2 * alen + 4];
        System.arraycopy(SIGNATURE, 0, h, 0, SIGNATURE.length);
        h[12] = VERSION_PROXY;
        h[13] = v4 ? UDP4 : UDP6;
        int len = 2 * alen + 4;
        h[14] = (byte) (len >> 8);
        h[15] = (byte) len;
        System.arraycopy(bytes(src, v4), 0, h, 16, alen);
        System.arraycopy(bytes(dst, v4), 0, h, 16 + alen, alen);
        int p = 16 + 2 * alen;
        h[p] = (byte) (client.getPort() >> 8);
        h[p + 1] = (byte) client.getPort();
        h[p + 2] = (byte) (local.getPort() >> 8);
        h[p + 3] = (byte) local.getPort();
        return h;
    }

    private static byte[] bytes(InetAddress a, boolean v4) {
        byte[] raw = a.getAddress();
        if (v4 || a instanceof Inet6Address) {
            return raw;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }
}

package dev.portico.api;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 network: {@code 192.168.1.0/24}, {@code fd00::/8}, or one address
 * ({@code 10.0.0.7} means {@code /32}, {@code ::1} means {@code /128}). Host bits are cleared, so
 * {@code 192.168.1.7/24} is {@code 192.168.1.0/24}. Immutable; equal when network and prefix are.
 *
 * <p>The one network matcher of every allow, deny and trusted-proxy list: the engine calls
 * {@link #contains} for each accepted connection, so it compares bits kept from construction.
 */
public final class Cidr {
    private final InetAddress network;
    private final int prefix;
    // The network as 4 or 16 bytes read as two longs (IPv4 in the low 32 bits of lo), and the
    // prefix as masks: a match is two ANDs, with the address read at constant offsets so that the
    // JIT can drop the JDK's copy of its bytes.
    private final int length;
    private final long hi;
    private final long lo;
    private final long maskHi;
    private final long maskLo;

    /**
     * @param network the network address; host bits beyond the prefix are cleared
     * @param prefix  the prefix length, 0-32 for IPv4, 0-128 for IPv6
     * @throws InvalidConfigException when the prefix is out of range for the address family
     */
    public Cidr(InetAddress network, int prefix) {
        byte[] b = network.getAddress();
        int bits = b.length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new InvalidConfigException("prefix /" + prefix + " is out of range for "
                    + network.getHostAddress() + " (0-" + bits + ")");
        }
        this.prefix = prefix;
        this.length = b.length;
        if (length == 4) {
            maskHi = 0;
            maskLo = prefix == 0 ? 0 : (0xffff_ffffL << (32 - prefix)) & 0xffff_ffffL;
            hi = 0;
            lo = int4(b) & maskLo;
        } else {
            maskHi = prefixMask(prefix);
            maskLo = prefixMask(prefix - 64);
            hi = long8(b, 0) & maskHi;
            lo = long8(b, 8) & maskLo;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] &= (byte) (0xff << (8 - Math.max(0, Math.min(8, prefix - i * 8))));
        }
        try {
            this.network = InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are an address", e);
        }
    }

    /**
     * Reads a network as files, annotations and flags write it.
     *
     * @param text {@code address/prefix} or one address, IPv4 or IPv6 as literals (no host names);
     *             surrounding spaces are ignored
     * @return the network, host bits cleared
     * @throws InvalidConfigException naming the text when it is empty, not an IP literal or has a bad prefix
     */
    public static Cidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidConfigException("CIDR is empty");
        }
        String s = text.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        InetAddress a = IpLiterals.parse(addr);
        if (a == null) {
            throw new InvalidConfigException("'" + text + "' is not an IP address or network (like 192.168.1.0/24 "
                    + "or fd00::/8)");
        }
        int bits = a.getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new InvalidConfigException("'" + text + "': prefix '" + p + "' is not a number");
            }
            prefix = Integer.parseInt(p);
        }
        return new Cidr(a, prefix);
    }

    /** The leading {@code bits} of a long set (none for 0 or less, all for 64 or more). */
    private static long prefixMask(int bits) {
        return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    private static long int4(byte[] b) {
        return (b[0] & 0xffL) << 24 | (b[1] & 0xffL) << 16 | (b[2] & 0xffL) << 8 | (b[3] & 0xffL);
    }

    private static long long8(byte[] b, int at) {
        return (b[at] & 0xffL) << 56 | (b[at + 1] & 0xffL) << 48 | (b[at + 2] & 0xffL) << 40
                | (b[at + 3] & 0xffL) << 32 | (b[at + 4] & 0xffL) << 24 | (b[at + 5] & 0xffL) << 16
                | (b[at + 6] & 0xffL) << 8 | (b[at + 7] & 0xffL);
    }

    /** {@return the network address, host bits zero} */
    public InetAddress network() {
        return network;
    }

    /** {@return the prefix length, 0-32 for IPv4, 0-128 for IPv6} */
    public int prefix() {
        return prefix;
    }

    /**
     * Whether {@code address} lies in this network; an IPv4 address never lies in an IPv6 network,
     * nor the reverse.
     *
     * @param address the address to test
     * @return whether its first {@link #prefix()} bits are the network's
     */
    public boolean contains(InetAddress address) {
        if (address instanceof Inet4Address v4) {
            return length == 4 && (int4(v4.getAddress()) & maskLo) == lo;
        }
        if (length != 16) {
            return false;
        }
        byte[] x = address.getAddress();
        return x.length == 16 && (long8(x, 0) & maskHi) == hi && (long8(x, 8) & maskLo) == lo;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && prefix == c.prefix && length == c.length && hi == c.hi && lo == c.lo;
    }

    @Override
    public int hashCode() {
        return (Long.hashCode(hi) * 31 + Long.hashCode(lo)) * 31 + prefix;
    }

    /** {@return {@code network/prefix}, as {@link #parse} reads it} */
    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefix;
    }
}

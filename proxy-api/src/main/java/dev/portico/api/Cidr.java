package dev.portico.api;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 network: {@code 192.168.1.0/24}, {@code fd00::/8}, or one address
 * ({@code 10.0.0.7} means {@code /32}, {@code ::1} means {@code /128}). Host bits are cleared, so
 * {@code 192.168.1.7/24} is {@code 192.168.1.0/24}.
 *
 * @param network the network address (host bits zero)
 * @param prefix  the prefix length, 0-32 for IPv4, 0-128 for IPv6
 */
public record Cidr(InetAddress network, int prefix) {
    /**
     * Checks the prefix and clears the host bits.
     *
     * @param network any address of the network
     * @param prefix  the prefix length, 0-32 for IPv4, 0-128 for IPv6
     * @throws InvalidConfigException when the prefix is out of range for the address's family
     */
    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new InvalidConfigException("prefix /" + prefix + " is out of range for "
                    + network.getHostAddress() + " (0-" + bits + ")");
        }
        network = mask(network, prefix);
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

    private static InetAddress mask(InetAddress a, int prefix) {
        byte[] b = a.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code address} lies in this network (an IPv4 address never lies in an IPv6 one). */
    boolean contains(InetAddress address) {
        byte[] n = network.getAddress();
        byte[] x = address.getAddress();
        if (n.length != x.length) {
            return false;
        }
        return mask(address, prefix).equals(network);
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefix;
    }
}

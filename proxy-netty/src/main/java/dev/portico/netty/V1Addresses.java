package dev.portico.netty;

/**
 * The address and port forms a PROXY v1 line may hold, read as the spec writes them: decimal
 * without leading zeros (an octet {@code 010} could mean 8 or 10), no signs, in range.
 */
final class V1Addresses {
    private V1Addresses() {
    }

    /** Four bytes, or {@code null} unless {@code s} is a dotted quad of 0..255 without leading zeros. */
    static byte[] ipv4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int start = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i < s.length() && s.charAt(i) != '.') {
                continue;
            }
            if (part == 4) {
                return null;
            }
            int v = decimal(s, start, i, 255);
            if (v < 0) {
                return null;
            }
            out[part++] = (byte) v;
            start = i + 1;
        }
        return part == 4 ? out : null;
    }

    /** 0..65535 without leading zeros or sign, else -1. */
    static int port(String s) {
        return decimal(s, 0, s.length(), 65535);
    }

    private static int decimal(String s, int from, int to, int max) {
        int len = to - from;
        if (len < 1 || len > 5 || (len > 1 && s.charAt(from) == '0')) {
            return -1;
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v <= max ? v : -1;
    }

    /**
     * Sixteen bytes, or {@code null} unless {@code s} is an IPv6 address in the text form of RFC
     * 4291 (groups of 1 to 4 hex digits, at most one {@code ::}, an optional dotted quad at the
     * end), without a zone.
     */
    static byte[] ipv6(String s) {
        int gap = s.indexOf("::");
        if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        int[] head = groups(gap < 0 ? s : s.substring(0, gap), gap < 0);
        int[] tail = gap < 0 ? new int[0] : groups(s.substring(gap + 2), true);
        if (head == null || tail == null) {
            return null;
        }
        int n = head.length + tail.length;
        if (gap < 0 ? n != 8 : n > 7) {
            return null;
        }
        byte[] out = new byte[16];
        for (int i = 0; i < head.length; i++) {
            out[2 * i] = (byte) (head[i] >> 8);
            out[2 * i + 1] = (byte) head[i];
        }
        for (int i = 0; i < tail.length; i++) {
            int g = 8 - tail.length + i;
            out[2 * g] = (byte) (tail[i] >> 8);
            out[2 * g + 1] = (byte) tail[i];
        }
        return out;
    }

    /** The 16-bit groups of a colon-separated run ("" has none); a final dotted quad counts as two. */
    private static int[] groups(String s, boolean quadAllowed) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(":", -1);
        if (parts.length > 8) {
            return null;
        }
        String last = parts[parts.length - 1];
        boolean quad = last.indexOf('.') >= 0;
        int[] out = new int[parts.length + (quad ? 1 : 0)];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (quad && i == parts.length - 1) {
                byte[] v4 = quadAllowed ? ipv4(p) : null;
                if (v4 == null) {
                    return null;
                }
                out[i] = (v4[0] & 0xff) << 8 | (v4[1] & 0xff);
                out[i + 1] = (v4[2] & 0xff) << 8 | (v4[3] & 0xff);
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                int d = c < 0x80 ? Character.digit(c, 16) : -1;
                if (d < 0) {
                    return null;
                }
                v = v << 4 | d;
            }
            out[i] = v;
        }
        return out;
    }
}

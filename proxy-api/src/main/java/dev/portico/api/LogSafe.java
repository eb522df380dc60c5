package dev.portico.api;

/**
 * Makes names that come from configuration or peers (frontend names, backend addresses, Kubernetes
 * names) safe to print in a log line, the access log or a metric label: a name with a newline
 * could forge a log line, and a bidi control (U+202E) can make a line read differently from what
 * it contains. Shared by the engine's logging and the launcher's, so both print a name alike.
 */
public final class LogSafe {
    private LogSafe() {
    }

    /**
     * The string with C0 and C1 controls, DEL, the bidi controls (U+061C, U+200E, U+200F,
     * U+202A to U+202E, U+2066 to U+2069) and the line and paragraph separators (U+2028, U+2029)
     * written as {@code \}{@code uXXXX}, and a backslash doubled so an escape cannot be faked.
     *
     * @param s a name from configuration or a peer; may be null
     * @return {@code s} itself when nothing needs escaping; {@code "null"} for {@code null}
     */
    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        int i = 0;
        int n = s.length();
        while (i < n && !needsEscape(s.charAt(i))) {
            i++;
        }
        if (i == n) {
            return s;
        }
        StringBuilder b = new StringBuilder(n + 16).append(s, 0, i);
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                b.append("\\\\");
            } else if (needsEscape(c)) {
                b.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                        .append(HEX[c & 0xf]);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean needsEscape(char c) {
        if (c < 0x20 || c == '\\' || (c >= 0x7f && c <= 0x9f)) {
            return true;
        }
        if (c < 0x61c) {
            return false;
        }
        return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
}

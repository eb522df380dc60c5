package dev.portico.discovery.file;

/**
 * Characters that must not reach a log line or a terminal as they are: control characters (C0, DEL,
 * C1) start escape sequences or break lines, and bidi controls reorder what a reader sees (a name
 * that displays as "api" while being something else).
 */
final class SafeText {
    /** Messages echo user text; a 64 KiB value repeated in twenty problems would flood the log. */
    static final int MAX_MESSAGE_CHARS = 500;

    private SafeText() {
    }

    static boolean unsafe(int cp) {
        return Character.getType(cp) == Character.CONTROL
                || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x2066 && cp <= 0x2069)
                || cp == 0x200E || cp == 0x200F || cp == 0x061C
                || cp == 0x2028 || cp == 0x2029;
    }

    /** The first unsafe code point, or -1. */
    static int firstUnsafe(String s) {
        return s.codePoints().filter(SafeText::unsafe).findFirst().orElse(-1);
    }

    /** {@code U+202E (RIGHT-TO-LEFT OVERRIDE)}. */
    static String describe(int cp) {
        String name = Character.getName(cp);
        return String.format("U+%04X", cp) + (name == null ? "" : " (" + name + ")");
    }

    /** The text with unsafe characters written as {@code \u202E}, cut to a readable length. */
    static String escape(String s) {
        if (s == null) {
            return null;
        }
        boolean clean = s.length() <= MAX_MESSAGE_CHARS && s.codePoints().noneMatch(SafeText::unsafe);
        if (clean) {
            return s;
        }
        StringBuilder out = new StringBuilder(Math.min(s.length(), MAX_MESSAGE_CHARS) + 16);
        for (int i = 0; i < s.length() && out.length() < MAX_MESSAGE_CHARS; ) {
            int cp = s.codePointAt(i);
            if (unsafe(cp)) {
                out.append(String.format("\\u%04X", cp));
            } else {
                out.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
        }
        if (out.length() >= MAX_MESSAGE_CHARS) {
            out.setLength(MAX_MESSAGE_CHARS);
            out.append("... (cut)");
        }
        return out.toString();
    }
}

package dev.portico.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * TLS server names (SNI) as frontends claim them: an exact DNS name ({@code grafana.example.org})
 * or a wildcard whose {@code *} stands for exactly one label ({@code *.apps.example.org} matches
 * {@code a.apps.example.org}, not {@code x.a.apps.example.org} nor {@code apps.example.org}).
 * Names are kept in lower case: DNS names, and so SNI, compare case-insensitively.
 */
public final class ServerNames {
    private static final int MAX_NAME = 253;
    private static final int MAX_LABEL = 63;

    private ServerNames() {
    }

    /**
     * Reads one server name.
     *
     * @param text a DNS name or a {@code *.} wildcard; case and a trailing dot do not matter
     * @return the name in its canonical form: lower case, no trailing dot
     * @throws InvalidConfigException when the text is empty, an IP address, or not a DNS name
     */
    public static String parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidConfigException("server name is empty");
        }
        String name = text.strip().toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        String rest = name.startsWith("*.") ? name.substring(2) : name;
        if (rest.contains("*")) {
            throw new InvalidConfigException("server name '" + text + "': a wildcard is only allowed as the whole first"
                    + " label ('*.example.org')");
        }
        if (rest.isEmpty() || name.length() > MAX_NAME) {
            throw new InvalidConfigException("server name '" + text + "' is not a DNS name (1 to " + MAX_NAME
                    + " characters)");
        }
        boolean numeric = true;
        for (String label : rest.split("\\.", -1)) {
            checkLabel(text, label);
            numeric &= label.chars().allMatch(c -> c >= '0' && c <= '9');
        }
        if (numeric) {
            throw new InvalidConfigException("server name '" + text + "' is an IP address; TLS clients send only DNS"
                    + " names as server names");
        }
        return name;
    }

    private static void checkLabel(String text, String label) {
        if (label.isEmpty() || label.length() > MAX_LABEL) {
            throw new InvalidConfigException("server name '" + text + "' has an empty or over-long label (1 to "
                    + MAX_LABEL + " characters between dots)");
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < label.length() - 1;
            if (!ok) {
                throw new InvalidConfigException("server name '" + text + "': label '" + label + "' may hold only"
                        + " letters, digits and inner hyphens");
            }
        }
    }

    /**
     * Reads a frontend's server names.
     *
     * @param names the names as written
     * @return the canonical names, in the given order
     * @throws InvalidConfigException for the first bad name, or a name listed twice (also when
     *                                only case or a trailing dot differ)
     */
    public static List<String> parseAll(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            String p = parse(n);
            if (!out.add(p)) {
                throw new InvalidConfigException("server name '" + p + "' is listed twice");
            }
        }
        return List.copyOf(new ArrayList<>(out));
    }

    /**
     * Whether a name stands for a set of names.
     *
     * @param name a canonical name, as {@link #parse} returns it
     * @return true if it starts with {@code *.}
     */
    public static boolean isWildcard(String name) {
        return name.startsWith("*.");
    }
}

package dev.portico.discovery.file;

import java.util.Collection;
import java.util.Locale;

/** Messages for unknown keys, with the closest known key when the unknown one looks like a typo. */
final class Keys {

    private Keys() {
    }

    static String unknown(String key, Collection<String> known) {
        String best = closest(key, known);
        if (best != null) {
            return "unknown key '" + key + "' (did you mean '" + best + "'?)";
        }
        return "unknown key '" + key + "' (known keys here: " + String.join(", ", known) + ")";
    }

    /** The known key within a typo's distance, or {@code null}. */
    static String closest(String key, Collection<String> known) {
        String k = key.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(k, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        // Two edits for short keys, a third for long ones: enough for typos, too few for another word.
        int allowed = key.length() >= 10 ? 3 : key.length() >= 4 ? 2 : 1;
        return bestDistance <= allowed ? best : null;
    }

    /** Optimal string alignment distance: Levenshtein plus swapping two neighbours as one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}

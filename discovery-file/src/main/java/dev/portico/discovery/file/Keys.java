package dev.portico.discovery.file;

import dev.portico.api.FrontendSettings;
import java.util.Collection;

/** Messages for unknown keys, with the closest known key when the unknown one looks like a typo. */
final class Keys {

    private Keys() {
    }

    static String unknown(String key, Collection<String> known) {
        String best = FrontendSettings.closest(key, known);
        if (best != null) {
            return "unknown key '" + key + "' (did you mean '" + best + "'?)";
        }
        return "unknown key '" + key + "' (known keys here: " + String.join(", ", known) + ")";
    }
}

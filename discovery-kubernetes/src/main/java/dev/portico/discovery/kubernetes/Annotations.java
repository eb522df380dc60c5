package dev.portico.discovery.kubernetes;

import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.FrontendSettings;
import dev.portico.api.FrontendSettings.Setting;
import dev.portico.api.InvalidConfigException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The Service annotations Portico reads: one for each row of {@link FrontendSettings} that has an
 * annotation key (Portico's under {@value #PREFIX}, service-announcer's health interval), and
 * {@link #EXPOSURE}. An unknown key under Portico's prefix is an error, so that a typo does not
 * silently leave a setting at its default.
 */
final class Annotations {

    static final String PREFIX = FrontendSettings.ANNOTATION_PREFIX;
    /** Comma-separated exposure class names. */
    static final String EXPOSURE = PREFIX + "exposure";

    /** Every key under {@link #PREFIX} that is understood. */
    static final Set<String> KNOWN = known();

    private Annotations() {
    }

    private static Set<String> known() {
        Set<String> keys = new TreeSet<>();
        keys.add(EXPOSURE);
        for (Setting<?> s : FrontendSettings.ALL) {
            if (s.annotationKey() != null && s.annotationKey().startsWith(PREFIX)) {
                keys.add(s.annotationKey());
            }
        }
        return Collections.unmodifiableSet(keys);
    }

    /**
     * What a Service's annotations ask for: the exposure classes, and the settings given, read and
     * ready to set on each of the Service's frontends.
     *
     * @param exposure the exposure class names in written order, or null when the annotation is absent
     * @param given    what sets each setting an annotation gives, in table order
     * @param sample   a TCP frontend with these settings, for what the Service's ports are checked against
     */
    record Settings(List<String> exposure, Map<Setting<?>, Consumer<Frontend.Builder>> given, Frontend sample) {
        Settings {
            exposure = exposure == null ? null : List.copyOf(exposure);
            given = Collections.unmodifiableMap(new LinkedHashMap<>(given));
        }

        /** Whether an annotation gives the setting, so that a Service field saying the same no longer applies. */
        boolean gives(Setting<?> setting) {
            return given.containsKey(setting);
        }

        /**
         * Sets every setting given on {@code builder}, over what it holds; the rest keep the builder's
         * values, among them the defaults that depend on the protocol.
         */
        Frontend.Builder applyTo(Frontend.Builder builder) {
            given.values().forEach(set -> set.accept(builder));
            return builder;
        }
    }

    /**
     * Reads the annotations of one Service.
     *
     * @param annotations the Service's annotations; null for none
     * @throws InvalidConfigException {@code annotation KEY: 'VALUE' is not ...}: an unknown Portico key
     *                                first, else the first bad value found
     */
    static Settings parse(Map<String, String> annotations) {
        Map<String, String> a = new TreeMap<>(annotations == null ? Map.of() : annotations);
        for (String key : a.keySet()) {
            if (key.startsWith(PREFIX) && !KNOWN.contains(key)) {
                String near = FrontendSettings.closest(key, KNOWN);
                throw new InvalidConfigException("annotation " + key + " is not known to Portico"
                        + (near == null ? "" : " (did you mean " + near + "?)") + "; known: "
                        + String.join(", ", KNOWN));
            }
        }
        Map<Setting<?>, Consumer<Frontend.Builder>> given = new LinkedHashMap<>();
        for (Setting<?> s : FrontendSettings.ALL) {
            String value = s.annotationKey() == null ? null : a.get(s.annotationKey());
            if (value == null) {
                continue;
            }
            Setting<?> required = s.requires();
            if (required != null && !a.containsKey(required.annotationKey())) {
                // Alone it would change nothing; saying so beats ignoring what was asked for.
                throw new InvalidConfigException("annotation " + s.annotationKey() + ": has no effect without "
                        + required.annotationKey() + " (" + s.requiredFor() + ")");
            }
            given.put(s, s.reading(new AnnotationValues(s.annotationKey(), value)));
        }
        List<String> exposure = a.containsKey(EXPOSURE)
                ? AnnotationValues.names(EXPOSURE, a.get(EXPOSURE), "internal or internal,external") : null;
        Settings settings = new Settings(exposure, given, null);
        // Settings that cannot go together (accept-proxy with sni) are refused here, for every port alike.
        Frontend sample = settings.applyTo(Frontend.builder(BindAddress.wildcard(0))).build();
        return new Settings(exposure, given, sample);
    }
}

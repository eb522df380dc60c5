package dev.portico.discovery.kubernetes;

import dev.portico.api.BindAddress;
import dev.portico.api.InvalidConfigException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Named addresses a Service can be exposed on ({@code internal=@eth1}, {@code external=@eth2}) and
 * the rule that picks them: the {@value Annotations#EXPOSURE} annotation if present, else every
 * class whose label selector matches the Service, else the default class (if there is one).
 */
final class ExposureClasses {

    /** The name of the class {@code --bind} defines, as service-announcer's flag. */
    public static final String DEFAULT = "default";

    private static final Pattern HAS_PORT = Pattern.compile("([^:]*|\\[.*]):[0-9]*");
    private static final Pattern CLASS_NAME = Pattern.compile("[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?");

    /**
     * One class.
     *
     * @param name     its name, as written in the annotation
     * @param address  where to listen; the port is replaced by each Service port (written as 0)
     * @param selector the Services it takes when they have no exposure annotation; null for none
     */
    public record ExposureClass(String name, BindAddress address, LabelSelectors.Selector selector) {
        public ExposureClass {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(address, "address");
            if (!CLASS_NAME.matcher(name).matches()) {
                throw new InvalidConfigException("exposure class name '" + name
                        + "' is not valid (lower-case letters, digits, '-', '_' or '.', up to 63)");
            }
            address = address.withPort(0);
        }

        /** The address for one Service port. */
        public BindAddress bindFor(int port) {
            return address.withPort(port);
        }
    }

    private final Map<String, ExposureClass> classes = new LinkedHashMap<>();
    private final String defaultClass;

    /**
     * @param classes      the classes, in the order a selector match lists them
     * @param defaultClass the class for a Service that no annotation or selector places; null for none
     *                     (such Services are then not exposed)
     */
    public ExposureClasses(List<ExposureClass> classes, String defaultClass) {
        for (ExposureClass c : classes) {
            if (this.classes.putIfAbsent(c.name(), c) != null) {
                throw new InvalidConfigException("exposure class '" + c.name() + "' is defined twice");
            }
        }
        if (defaultClass != null && !this.classes.containsKey(defaultClass)) {
            throw new InvalidConfigException("default exposure class '" + defaultClass + "' is not defined (defined: "
                    + String.join(", ", this.classes.keySet()) + ")");
        }
        this.defaultClass = defaultClass;
    }

    /** service-announcer's behaviour without {@code --bind}: every Service on every address. */
    public static ExposureClasses wildcardDefault() {
        return new ExposureClasses(List.of(new ExposureClass(DEFAULT, BindAddress.wildcard(0), null)), DEFAULT);
    }

    public List<ExposureClass> all() {
        return List.copyOf(classes.values());
    }

    /** The default class's name, or null when unplaced Services are not exposed. */
    public String defaultClass() {
        return defaultClass;
    }

    /**
     * The classes a Service is exposed on.
     *
     * @param labels    the Service's labels
     * @param annotated the names from its exposure annotation, or null when it has none
     * @return the classes, possibly empty (no annotation, no selector match, no default)
     * @throws InvalidConfigException for a name in the annotation that is not a class
     */
    public List<ExposureClass> choose(Map<String, String> labels, List<String> annotated) {
        List<ExposureClass> out = new ArrayList<>();
        if (annotated != null) {
            for (String name : annotated) {
                ExposureClass c = classes.get(name);
                if (c == null) {
                    throw new InvalidConfigException("annotation " + Annotations.EXPOSURE + ": '" + name
                            + "' is not an exposure class (configured: " + String.join(", ", classes.keySet()) + ")");
                }
                out.add(c);
            }
            return out;
        }
        for (ExposureClass c : classes.values()) {
            if (c.selector() != null && c.selector().matches(labels)) {
                out.add(c);
            }
        }
        if (out.isEmpty() && defaultClass != null) {
            out.add(classes.get(defaultClass));
        }
        return out;
    }

    /**
     * Reads an exposure address as written after {@code NAME=} or for the bind: {@code @eth1},
     * {@code 10.0.0.1}, {@code [fd00::1]}, {@code ::1}, or empty for every address. A port, if written,
     * must be 0: each Service port supplies its own.
     *
     * @param what the setting, for messages ({@code bind})
     */
    public static BindAddress parseAddress(String text, String what) {
        String s = text == null ? "" : text.strip();
        if (s.isEmpty() || s.equals(":") || s.equals("*")) {
            return BindAddress.wildcard(0);
        }
        if (!s.startsWith("[") && s.indexOf(':') != s.lastIndexOf(':')) {
            s = "[" + s + "]"; // a bare IPv6 literal
        }
        boolean hasPort = HAS_PORT.matcher(s).matches();
        BindAddress parsed;
        try {
            parsed = BindAddress.parse(hasPort ? s : s + ":0");
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException(what + " '" + text + "': " + e.getMessage()
                    + " (write an address without a port: @eth1, 10.0.0.1, [fd00::1], or nothing for every address)", e);
        }
        if (parsed.port() != 0) {
            throw new InvalidConfigException(what + " '" + text + "': give the address without a port "
                    + "(each Service port is used), e.g. " + parsed.withPort(0).toString().replaceAll(":0$", ""));
        }
        return parsed;
    }

    /**
     * Reads {@code NAME=ADDRESS}, an exposure class as a launcher's flag writes it.
     *
     * @param what the setting, for messages ({@code exposure class})
     */
    public static ExposureClass parseSpec(String spec, String what) {
        int eq = spec == null ? -1 : spec.indexOf('=');
        if (eq <= 0) {
            throw new InvalidConfigException(what + " '" + spec + "': expected NAME=ADDRESS, e.g. internal=@eth1");
        }
        String name = spec.substring(0, eq).strip();
        try {
            return new ExposureClass(name, parseAddress(spec.substring(eq + 1), what + " " + name), null);
        } catch (InvalidConfigException e) {
            // The address's own message already names the class; the class name's does not.
            throw e.getMessage().startsWith(what + " " + name + " '") ? e
                    : new InvalidConfigException(what + " '" + spec + "': " + e.getMessage(), e);
        }
    }
}

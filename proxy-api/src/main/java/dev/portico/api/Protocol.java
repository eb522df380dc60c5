package dev.portico.api;

import java.util.Locale;

/** The transport a frontend forwards: TCP connections, or UDP datagrams grouped into flows. */
public enum Protocol {
    TCP, UDP;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reads {@code tcp} or {@code udp}, in any case. */
    public static Protocol fromConfigName(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "tcp" -> TCP;
            case "udp" -> UDP;
            default -> throw new InvalidConfigException("unknown protocol '" + name + "' (one of: tcp, udp)");
        };
    }
}

package dev.portico.api;

import java.util.Locale;

/** The transport a frontend forwards: TCP connections, or UDP datagrams grouped into flows. */
public enum Protocol {
    /** TCP connections, relayed byte for byte; the default. */
    TCP,
    /** UDP datagrams; those from one client address form a flow that keeps its backend. */
    UDP;

    /**
     * The name files and annotations use for this protocol.
     *
     * @return {@code tcp} or {@code udp}
     */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a protocol as files and annotations write it.
     *
     * @param name {@code tcp} or {@code udp}, in any case, surrounding spaces ignored
     * @return the protocol
     * @throws InvalidConfigException when the name is neither
     */
    public static Protocol fromConfigName(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "tcp" -> TCP;
            case "udp" -> UDP;
            default -> throw new InvalidConfigException("unknown protocol '" + name + "' (one of: tcp, udp)");
        };
    }
}

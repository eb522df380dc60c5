package dev.portico.api;

import java.util.Locale;

/** Whether, and in which version, a PROXY protocol header is sent to a frontend's backends. */
public enum ProxyProtocol {
    /** No header: the backend sees the proxy's address as the client's; the default. */
    OFF,
    /** The text header of version 1. */
    V1,
    /** The binary header of version 2. */
    V2;

    String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reads {@code off}, {@code v1}, {@code v2} (also {@code 1}, {@code 2}, {@code false}). */
    static ProxyProtocol fromConfigName(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "off", "none", "false", "no" -> OFF;
            case "v1", "1" -> V1;
            case "v2", "2" -> V2;
            default -> throw new InvalidConfigException("unknown PROXY protocol version '" + name
                    + "' (one of: off, v1, v2)");
        };
    }
}

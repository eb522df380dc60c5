package dev.portico.api;

import java.util.Locale;

/** How a frontend picks a backend for a new connection; every policy honours backend weights. */
public enum BalancePolicy {
    /** A random healthy backend, as l4proxy does; the default. */
    RANDOM("random"),
    /** Healthy backends in turn. */
    ROUND_ROBIN("roundrobin"),
    /** The healthy backend with the fewest open connections relative to its weight. */
    LEAST_CONNECTIONS("leastconn"),
    /**
     * Consistent hashing of the client's IP address (weighted rendezvous hashing): a client keeps
     * its backend while that backend is healthy, and adding or removing a backend moves only the
     * clients that backend gains or loses.
     */
    SOURCE_HASH("source");

    private final String configName;

    BalancePolicy(String configName) {
        this.configName = configName;
    }

    /**
     * The name files and annotations use for this policy.
     *
     * @return {@code random}, {@code roundrobin}, {@code leastconn} or {@code source}
     */
    public String configName() {
        return configName;
    }

    /**
     * Reads a policy as files and annotations write it.
     *
     * @param name a {@link #configName()} or the constant's name, in any case, with or without
     *             dashes and underscores; {@code sourceip} and {@code iphash} also mean {@link #SOURCE_HASH}
     * @return the policy
     * @throws InvalidConfigException when the name is none of these; the message lists the names
     */
    public static BalancePolicy fromConfigName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
        for (BalancePolicy p : values()) {
            if (p.configName.equals(n) || p.name().replace("_", "").toLowerCase(Locale.ROOT).equals(n)
                    || (p == SOURCE_HASH && (n.equals("sourceip") || n.equals("iphash")))) {
                return p;
            }
        }
        throw new InvalidConfigException("unknown balance policy '" + name + "' (one of: " + names() + ")");
    }

    /**
     * The policies' names, for messages and help texts.
     *
     * @return every {@link #configName()}, comma-separated, in declaration order
     */
    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (BalancePolicy p : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(p.configName);
        }
        return sb.toString();
    }
}

package dev.portico.api;

import java.util.regex.Pattern;

/** Shared parsing of {@code host:port} and {@code [v6]:port} for binds and backends. */
final class HostPort {
    private static final Pattern HOSTNAME =
            Pattern.compile("(?i)[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*\\.?");
    private static final Pattern ZONE = Pattern.compile("(?i)(%[a-z0-9_.-]+)?");

    private HostPort() {
    }

    /** A host and a port, the host without brackets ({@code null} for an empty host). */
    record Parts(String host, int port) {
    }

    static Parts split(String text, String what, boolean allowEmptyHost, boolean allowPortZero) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new InvalidConfigException(what + " is empty");
        }
        String host;
        String portText;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new InvalidConfigException(what + " '" + text + "': missing ']' after IPv6 address");
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.startsWith(":")) {
                throw new InvalidConfigException(what + " '" + text + "': expected ':port' after ']'");
            }
            portText = rest.substring(1);
            host = ipv6Literal(host, text, what);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw new InvalidConfigException(what + " '" + text + "': expected host:port");
            }
            host = s.substring(0, colon);
            portText = s.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new InvalidConfigException(what + " '" + text
                        + "': an IPv6 address must be written in brackets, as [" + host + "]:" + portText);
            }
            if (host.isEmpty()) {
                if (!allowEmptyHost) {
                    throw new InvalidConfigException(what + " '" + text + "': the host is missing");
                }
                host = null;
            } else if (!HOSTNAME.matcher(host).matches()) {
                throw new InvalidConfigException(what + " '" + text + "': '" + host
                        + "' is neither an IP address nor a valid host name");
            } else {
                host = host.toLowerCase(java.util.Locale.ROOT);
            }
        }
        return new Parts(host, port(portText, text, what, allowPortZero));
    }

    static int port(String portText, String text, String what, boolean allowZero) {
        if (portText.isEmpty()) {
            throw new InvalidConfigException(what + " '" + text + "': the port is missing");
        }
        if (!portText.chars().allMatch(c -> c >= '0' && c <= '9') || portText.length() > 5) {
            throw new InvalidConfigException(what + " '" + text + "': port '" + portText + "' is not a number");
        }
        int port = Integer.parseInt(portText);
        if (port > 65535 || (port == 0 && !allowZero)) {
            throw new InvalidConfigException(what + " '" + text + "': port " + port
                    + " is out of range (" + (allowZero ? 0 : 1) + "-65535)");
        }
        return port;
    }

    private static String ipv6Literal(String host, String text, String what) {
        int percent = host.indexOf('%');
        String address = percent < 0 ? host : host.substring(0, percent);
        String zone = percent < 0 ? "" : host.substring(percent);
        java.net.InetAddress a = address.indexOf(':') < 0 ? null : IpLiterals.parse(address);
        if (a == null || !ZONE.matcher(zone).matches()) {
            throw new InvalidConfigException(what + " '" + text + "': '" + host + "' is not an IPv6 address");
        }
        return a.getHostAddress() + zone;
    }

    static String format(String host, int port) {
        if (host == null) {
            return ":" + port;
        }
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}

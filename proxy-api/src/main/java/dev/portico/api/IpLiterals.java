package dev.portico.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The one test of "is this text an IP address literal": an IPv4 address in four dotted decimal
 * parts, or an IPv6 address (letters, digits, colons and dots, at least one colon). Only text that
 * passes reaches {@link InetAddress#getByName}, which then never asks the name service; the short
 * IPv4 forms it also takes ({@code 10.1}) count as host names, as they do in Kubernetes.
 */
final class IpLiterals {
    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("(?i)[0-9a-f:.]*:[0-9a-f:.]*");

    private IpLiterals() {
    }

    /** The address written in {@code text}, or {@code null} when it is not an IP literal. */
    static InetAddress parse(String text) {
        if (text == null || !(IPV4.matcher(text).matches() || IPV6.matcher(text).matches())) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            // Looked like one (fd00:::1), is not one: a caller says "not an IP address".
            return null;
        }
    }
}

package dev.portico.examples;

import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.LogSafe;
import dev.portico.api.ProxyEvents;
import dev.portico.examples.metrics.MetricsEvents;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one INFO line per ended client connection, refused ones included, on the logger
 * {@value #LOGGER} (so it can be silenced or sent elsewhere on its own), in logfmt:
 * <pre>client=192.0.2.7:51234 frontend=web backend=10.0.0.5:443 duration_ms=1234 from_client=512 to_client=2048 end=client_closed</pre>
 * The time is the log line's own (when the connection ended). In the launcher's default logging
 * this logger writes through a bounded queue that drops lines rather than block an I/O
 * thread when its queue is full (see {@link LineLoggerFactory}).
 */
final class AccessLogEvents implements ProxyEvents {

    /** The logger's name. */
    static final String LOGGER = "portico.access";

    private final Logger log = LoggerFactory.getLogger(LOGGER);

    @Override
    public void onConnectionClosed(ConnectionInfo c, long bytesFromClient, long bytesToClient, long durationMillis,
                                   CloseReason reason) {
        if (log.isInfoEnabled()) {
            log.info(line(c, bytesFromClient, bytesToClient, durationMillis, reason));
        }
    }

    static String line(ConnectionInfo c, long bytesFromClient, long bytesToClient, long durationMillis,
                       CloseReason reason) {
        StringBuilder b = new StringBuilder(160);
        b.append("client=");
        address(b, c.client());
        b.append(" frontend=");
        value(b, c.frontend());
        if (c.serverName() != null) {
            // Only on binds shared by TLS server name, so existing lines keep their shape.
            b.append(" sni=");
            value(b, c.serverName());
        }
        b.append(" backend=");
        value(b, c.backend() == null ? "-" : c.backend().address());
        b.append(" duration_ms=").append(durationMillis);
        b.append(" from_client=").append(bytesFromClient);
        b.append(" to_client=").append(bytesToClient);
        b.append(" end=").append(MetricsEvents.label(reason));
        return b.toString();
    }

    /** {@code 192.0.2.7:51234}, {@code [2001:db8::7]:51234}, no name lookup. */
    static String address(InetSocketAddress a) {
        return address(new StringBuilder(48), a).toString();
    }

    private static StringBuilder address(StringBuilder b, InetSocketAddress a) {
        if (a == null) {
            return b.append('-');
        }
        if (a.getAddress() == null) {
            return b.append(a.getHostString()).append(':').append(a.getPort());
        }
        String host = NetUtil.toAddressString(a.getAddress());
        if (a.getAddress() instanceof Inet6Address) {
            return b.append('[').append(host).append("]:").append(a.getPort());
        }
        return b.append(host).append(':').append(a.getPort());
    }

    /**
     * A logfmt value: as is when it is one word of printable ASCII, else quoted with {@code "}
     * escaped, and control and bidi characters written as {@code \}{@code u202E} ({@link LogSafe}), so
     * a name cannot break the line or make it read differently from what it holds.
     */
    private static void value(StringBuilder b, String v) {
        if (v == null || v.isEmpty()) {
            b.append("\"\"");
            return;
        }
        String e = LogSafe.escape(v);
        boolean plain = e.equals(v);
        for (int i = 0; i < v.length() && plain; i++) {
            char ch = v.charAt(i);
            plain = ch > ' ' && ch != '"' && ch != '=' && ch < 0x7f;
        }
        if (plain) {
            b.append(v);
            return;
        }
        b.append('"');
        for (int i = 0; i < e.length(); i++) {
            char ch = e.charAt(i);
            if (ch == '"') {
                b.append('\\');
            }
            b.append(ch);
        }
        b.append('"');
    }
}

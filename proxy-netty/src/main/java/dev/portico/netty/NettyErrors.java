package dev.portico.netty;

import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;

/** Short, operator-readable reasons for I/O failures. */
final class NettyErrors {
    private NettyErrors() {
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        if (t instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        String m = t.getMessage();
        if (t instanceof ConnectException && m != null) {
            // Netty's native transports prefix "connect(..) failed: "; keep the OS reason.
            int i = m.indexOf("failed: ");
            return i >= 0 ? m.substring(i + 8) : m;
        }
        return m == null ? t.getClass().getSimpleName() : m;
    }

    /**
     * Whether {@code t} says the peer reset an established connection (ECONNRESET), as opposed to
     * refusing it, timing out or a local failure.
     */
    static boolean isReset(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && (m.contains("reset by peer") || m.contains("Connection reset") || m.contains("error(-104)"))) {
                return true;
            }
        }
        return false;
    }
}

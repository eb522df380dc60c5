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
}

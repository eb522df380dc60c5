package dev.portico.netty;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/** The default engine-wide connection limit, derived from the process's file descriptor limit. */
final class DescriptorLimit {
    private DescriptorLimit() {
    }

    /**
     * Half of what the descriptor limit leaves after a reserve (a tenth, 64 to 1024) for listeners,
     * health probes, DNS, event loops, log files and the JVM; 0 (no limit) where it cannot be read.
     */
    static int defaultMaxConnections() {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix)) {
            return 0;
        }
        return fromDescriptorLimit(unix.getMaxFileDescriptorCount());
    }

    static int fromDescriptorLimit(long limit) {
        if (limit <= 0) {
            return 0;
        }
        long reserve = Math.max(64, Math.min(1024, limit / 10));
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (limit - reserve) / 2));
    }
}

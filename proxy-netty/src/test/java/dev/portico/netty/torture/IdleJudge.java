package dev.portico.netty.torture;

import java.time.Duration;
import java.util.List;

/**
 * Judges an {@link Scenario.Order#IDLE} connection that ended before every byte arrived. The proxy
 * ends such a connection when it has moved no byte for the idle timeout; on a loaded machine the
 * peers themselves can stall that long (a thread not run for seconds), and then an early end is
 * the proxy's right. It is wrong when the peers' own records prove that the proxy moved a byte, or
 * sat on one it could have moved, within the idle timeout before the end:
 * <ul>
 *   <li>a byte arrived before the end whose write was issued less than the timeout before it: the
 *       proxy read that byte after its write was issued, so it was not idle;</li>
 *   <li>the receiver waited in a read for the idle timeout while the next byte was already
 *       written: the proxy held a byte that a waiting reader would have taken (it reads one side
 *       only while the other can take more).</li>
 * </ul>
 * The end's time is when a peer first saw it, which is no earlier than the proxy's close, so
 * neither rule can blame a proxy that was right. Times are {@link System#nanoTime()}.
 */
final class IdleJudge {
    /** For the proxy's timer and the peers' clock readings around their calls. */
    static final Duration TOLERANCE = Duration.ofMillis(250);

    private IdleJudge() {
    }

    /**
     * Adds to {@code out} why the proxy was wrong to end the connection; returns the note that
     * says why it was right when nothing was added.
     */
    static String judge(List<String> out, long started, Duration timeout, StreamLog toBackend, StreamLog toClient) {
        long end = Math.min(toBackend.firstSignOfEnd(), toClient.firstSignOfEnd());
        if (end == Long.MAX_VALUE) {
            out.add("neither peer saw the connection end");
            return null;
        }
        long window = timeout.toNanos() - TOLERANCE.toNanos();
        int before = out.size();
        check(out, "to the backend", started, end, window, toBackend);
        check(out, "to the client", started, end, window, toClient);
        if (out.size() > before) {
            return null;
        }
        long lastMove = Math.max(lastIssued(toBackend, end), lastIssued(toClient, end));
        return "ended by the idle timeout at +" + ms(end - started) + " ms; the last byte that arrived before was "
                + (lastMove == Long.MIN_VALUE ? "none" : "written at +" + ms(lastMove - started) + " ms")
                + " (to the backend " + toBackend.arrivedBy(end) + " B, to the client " + toClient.arrivedBy(end)
                + " B by then)";
    }

    private static void check(List<String> out, String direction, long started, long end, long window,
                              StreamLog log) {
        long arrived = log.arrivedBy(end);
        if (arrived > 0) {
            long issued = log.issuedAt(arrived - 1);
            if (end - issued < window) {
                out.add(direction + ": the proxy moved bytes " + ms(end - issued) + " ms before the connection ended"
                        + " at +" + ms(end - started) + " ms (byte " + (arrived - 1) + " was written at +"
                        + ms(issued - started) + " ms and arrived before the end), less than the idle timeout");
            }
        }
        long waiting = log.waitingForTheEndSince();
        long next = log.doneAt(arrived);
        long since = Math.max(waiting, next);
        if (waiting != Long.MAX_VALUE && next != Long.MAX_VALUE && end - since >= window) {
            out.add(direction + ": the receiver waited in a read from +" + ms(waiting - started) + " ms for byte "
                    + arrived + ", written by +" + ms(next - started) + " ms, until the connection ended at +"
                    + ms(end - started) + " ms: the proxy held it for the whole idle timeout");
        }
    }

    private static long lastIssued(StreamLog log, long end) {
        long arrived = log.arrivedBy(end);
        return arrived == 0 ? Long.MIN_VALUE : log.issuedAt(arrived - 1);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}

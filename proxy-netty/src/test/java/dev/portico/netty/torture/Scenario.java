package dev.portico.netty.torture;

import java.time.Duration;
import java.util.Random;

/**
 * One torture connection: what each peer sends, how it writes and reads, who sends its FIN when,
 * and whether one of them resets. Everything follows from {@link #seed}, so a failure is replayed
 * by its seed alone.
 *
 * @param seed     the seed this scenario was drawn from
 * @param order    who sends first and who half-closes when
 * @param client   the client peer
 * @param backend  the backend peer
 * @param reset    which side aborts with a reset, and after how many of its bytes; {@code null}: none
 */
public record Scenario(long seed, Order order, Side client, Side backend, Reset reset) {
    static final int KIB = 1024;
    static final int MIB = 1024 * KIB;
    /** The idle timeout of {@link Order#IDLE} connections, and the bound on any one stall of theirs. */
    // Far above what a starved peer thread usually loses on a loaded two-core CI machine, so that
    // most idle-order connections carry all their bytes; one whose peers stalled longer still is
    // ended early, rightly, and IdleJudge tells that from an early end the proxy got wrong.
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(15);
    /** At most ~1.5 s of stalls per reader, so that slow readers stay within the suite's time. */
    static final long STALL_BUDGET_MICROS = 1_500_000L;

    /** Who speaks first and who sends a FIN when. */
    public enum Order {
        /** The client sends and half-closes; the backend answers after the EOF (HTTP/1.0, {@code nc -N}). */
        CLIENT_FIRST,
        /** The backend speaks first and half-closes; the client answers after the EOF (a banner, then a request). */
        BACKEND_FIRST,
        /** Both send at once and each half-closes when done. */
        BOTH,
        /** Both send at once and never half-close: the proxy's idle timeout ends the connection. */
        IDLE
    }

    /**
     * How one peer behaves.
     *
     * @param bytes        how many bytes it sends (its whole stream, unless it resets first)
     * @param key          the key of its byte stream (see {@link Pattern})
     * @param maxWrite     each write is 1..maxWrite bytes, drawn at random
     * @param readBuffer   bytes asked for per read
     * @param receiveBuffer SO_RCVBUF of its socket, set before the connection is made
     * @param stallEvery   after about this many bytes read it pauses reading; 0: never
     * @param stallMicros  how long one pause lasts
     */
    public record Side(long bytes, long key, int maxWrite, int readBuffer, int receiveBuffer, long stallEvery,
                       int stallMicros) {
        Side readingAtLeast(long incoming) {
            int floor = 1 << Math.min(16, 64 - Long.numberOfLeadingZeros(Math.max(1, incoming / 20_000)));
            return readBuffer >= floor ? this : new Side(bytes, key, maxWrite, floor, receiveBuffer, stallEvery,
                    stallMicros);
        }

        /**
         * A side stalls while it reads the other's stream, so the number of stalls comes from that
         * stream's length: at most {@link #STALL_BUDGET_MICROS} of them in all. (Drawn from its own
         * length, a backend answering 2 KB stalled 8 ms every 4 KiB of a 58 MiB request: 2 minutes,
         * past the peers' read timeout.)
         */
        Side stallingWithin(long incoming) {
            if (stallEvery == 0) {
                return this;
            }
            long stalls = Math.max(1, STALL_BUDGET_MICROS / stallMicros);
            long floor = Math.max(4 * KIB, incoming / stalls);
            return stallEvery >= floor ? this : new Side(bytes, key, maxWrite, readBuffer, receiveBuffer, floor,
                    stallMicros);
        }

        @Override
        public String toString() {
            return size(bytes) + " in writes of ≤" + size(maxWrite) + ", reads of " + size(readBuffer)
                    + ", SO_RCVBUF " + size(receiveBuffer)
                    + (stallEvery == 0 ? "" : ", stalls " + stallMicros + " µs every " + size(stallEvery));
        }
    }

    /** One peer aborts (RST) after sending {@code afterBytes} of its stream. */
    public record Reset(boolean byClient, long afterBytes) {
        @Override
        public String toString() {
            return (byClient ? "client" : "backend") + " resets after " + afterBytes + " B";
        }
    }

    /** Draws a scenario; {@code big} allows the large payloads (up to 64 MiB each way). */
    public static Scenario draw(long seed, boolean big) {
        // Scenarios of one round have consecutive seeds, and java.util.Random's first draws from
        // consecutive seeds are alike: scramble first.
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        Order order = Order.values()[r.nextInt(Order.values().length)];
        boolean idle = order == Order.IDLE;
        Side client = side(r, big && !idle);
        Side backend = side(r, big && !idle);
        // A side reads the other's stream: its read size has a floor set by that stream's length,
        // and its stalls are spread over that stream.
        client = client.readingAtLeast(backend.bytes()).stallingWithin(backend.bytes());
        backend = backend.readingAtLeast(client.bytes()).stallingWithin(client.bytes());
        Reset reset = null;
        if (!idle && r.nextInt(6) == 0) {
            boolean byClient = r.nextBoolean();
            long of = byClient ? client.bytes : backend.bytes;
            reset = new Reset(byClient, of == 0 ? 0 : (long) (r.nextDouble() * of));
        }
        return new Scenario(seed, order, client, backend, reset);
    }

    private static Side side(Random r, boolean big) {
        long bytes;
        int kind = r.nextInt(100);
        if (kind < 10) {
            bytes = 0;
        } else if (kind < 45) {
            bytes = 1 + r.nextInt(4 * KIB);
        } else if (kind < 75) {
            bytes = 4 * KIB + r.nextInt(MIB);
        } else if (kind < 95 || !big) {
            bytes = MIB + r.nextInt(big ? 12 * MIB : 2 * MIB);
        } else {
            bytes = 12 * MIB + r.nextInt(52 * MIB + 1);
        }
        // 1 B .. 128 KiB per write and 16 B .. 64 KiB per read, but no more than ~20,000 of either per
        // side: a byte at a time is a fine test of 4 KiB, and only a slow one of 40 MiB.
        int floor = 64 - Long.numberOfLeadingZeros(Math.max(1, bytes / 20_000));
        int maxWrite = 1 << Math.max(floor, r.nextInt(18));
        int readBuffer = 1 << (4 + r.nextInt(13));
        int receiveBuffer = 4 * KIB << r.nextInt(11); // 4 KiB .. 4 MiB
        long stallEvery = 0;
        int stallMicros = 0;
        if (r.nextInt(3) == 0) {
            stallMicros = 100 + r.nextInt(20_000);
            // Redrawn against the stream it reads (stallingWithin); kept so that seeds keep their scenarios.
            long stalls = Math.max(1, STALL_BUDGET_MICROS / stallMicros);
            stallEvery = Math.max(4 * KIB, bytes / stalls + r.nextInt(64 * KIB));
        }
        return new Side(bytes, r.nextLong(), maxWrite, readBuffer, receiveBuffer, stallEvery, stallMicros);
    }

    static String size(long n) {
        if (n >= MIB && n % MIB == 0) {
            return n / MIB + " MiB";
        }
        if (n >= 10 * KIB) {
            return n / KIB + " KiB";
        }
        return n + " B";
    }

    @Override
    public String toString() {
        return "seed " + seed + ": " + order + "; client " + client + "; backend " + backend
                + (reset == null ? "" : "; " + reset);
    }
}

package dev.portico.netty.torture;

import java.util.Arrays;

/**
 * When the bytes of one direction of a torture connection moved, as its two peers saw it: each
 * write of the sender (when it was issued, when it returned, where the stream stood after it) and
 * each read of the receiver (when it returned and how far the stream had arrived). A connection
 * the proxy ends by its idle timeout before everything arrived is judged by these (see
 * {@link IdleJudge}). Each half is written by one thread and read after both have finished.
 */
final class StreamLog {
    private long[] writeEnd = new long[64];
    private long[] writeIssued = new long[64];
    private long[] writeDone = new long[64];
    private int writes;
    private long writeFailedAt = Long.MAX_VALUE;

    private long[] readEnd = new long[64];
    private long[] readDone = new long[64];
    private int reads;
    private long lastCallStarted;
    private long endedAt = Long.MAX_VALUE;

    /** A write of the sender that brought its stream to {@code end} bytes. */
    void wrote(long end, long issued, long done) {
        if (writes == writeEnd.length) {
            writeEnd = Arrays.copyOf(writeEnd, writes * 2);
            writeIssued = Arrays.copyOf(writeIssued, writes * 2);
            writeDone = Arrays.copyOf(writeDone, writes * 2);
        }
        writeEnd[writes] = end;
        writeIssued[writes] = issued;
        writeDone[writes] = done;
        writes++;
    }

    void writeFailed(long at) {
        writeFailedAt = at;
    }

    /** The receiver is about to call read. */
    void reading(long at) {
        lastCallStarted = at;
    }

    /** A read that brought what arrived to {@code got} bytes. */
    void read(long got, long at) {
        if (reads == readEnd.length) {
            readEnd = Arrays.copyOf(readEnd, reads * 2);
            readDone = Arrays.copyOf(readDone, reads * 2);
        }
        readEnd[reads] = got;
        readDone[reads] = at;
        reads++;
    }

    /** The receiver's stream ended (EOF, reset or error) in the read call it started last. */
    void ended(long at) {
        endedAt = at;
    }

    /** When a peer first saw this direction end: its reader's end, or its sender's failed write. */
    long firstSignOfEnd() {
        return Math.min(endedAt, writeFailedAt);
    }

    /** How many bytes had arrived by {@code at}. */
    long arrivedBy(long at) {
        long got = 0;
        for (int i = 0; i < reads && readDone[i] <= at; i++) {
            got = readEnd[i];
        }
        return got;
    }

    /** When the sender issued the write that carried byte {@code position}; MAX_VALUE if it never did. */
    long issuedAt(long position) {
        int i = writeCarrying(position);
        return i < 0 ? Long.MAX_VALUE : writeIssued[i];
    }

    /** When the write that carried byte {@code position} had returned; MAX_VALUE if it never did. */
    long doneAt(long position) {
        int i = writeCarrying(position);
        return i < 0 ? Long.MAX_VALUE : writeDone[i];
    }

    /** When the receiver started the read call in which its stream ended; MAX_VALUE if it has not ended. */
    long waitingForTheEndSince() {
        return endedAt == Long.MAX_VALUE ? Long.MAX_VALUE : lastCallStarted;
    }

    private int writeCarrying(long position) {
        int lo = 0;
        int hi = writes - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (writeEnd[mid] > position) {
                found = mid;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        return found;
    }
}

package dev.portico.netty.torture;

/**
 * The bytes one side of one torture connection sends: a pseudo-random stream that any position
 * of can be computed again from its key, so a receiver checks every byte in order without either
 * side keeping a copy of up to 64 MiB.
 */
public final class Pattern {
    private Pattern() {
    }

    /** Fills {@code buf[off, off+len)} with the stream {@code key} from {@code position} on. */
    public static void fill(long key, long position, byte[] buf, int off, int len) {
        long word = position >>> 3;
        long bits = mix(key + word);
        int shift = (int) (position & 7) * 8;
        for (int i = 0; i < len; i++) {
            buf[off + i] = (byte) (bits >>> shift);
            shift += 8;
            if (shift == 64) {
                shift = 0;
                bits = mix(key + ++word);
            }
        }
    }

    /**
     * Index within {@code buf[off, off+len)} of the first byte that differs from the stream at
     * {@code position}, or -1 when all match.
     */
    public static int firstMismatch(long key, long position, byte[] buf, int off, int len, byte[] scratch) {
        fill(key, position, scratch, 0, len);
        int m = java.util.Arrays.mismatch(buf, off, off + len, scratch, 0, len);
        return m;
    }

    /** SplitMix64's finaliser: cheap, and every input word gives an unrelated output word. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}

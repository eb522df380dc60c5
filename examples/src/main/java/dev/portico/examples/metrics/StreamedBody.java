package dev.portico.examples.metrics;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * A response body written piece by piece, so a large one (the metrics of ten thousand frontends)
 * is never held whole: the HTTP side asks for the next chunk only while the client takes them.
 */
interface StreamedBody {

    /**
     * Appends pieces to {@code out} until it holds at least {@code atLeast} bytes or the body ends.
     *
     * @return whether more remains
     */
    boolean writeSome(ByteBuf out, int atLeast);

    /** The whole body as text, for callers that want a String (tests, small bodies). */
    default String readAll() {
        ByteBuf all = Unpooled.buffer();
        try {
            while (writeSome(all, Integer.MAX_VALUE)) {
                // writeSome stops only at the end when asked for more than it can ever write
            }
            return all.toString(StandardCharsets.UTF_8);
        } finally {
            all.release();
        }
    }
}

package dev.portico.netty;

import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Counts the bytes a channel reads at the transport, so byte counts need no work in the relay
 * handler. One instance per channel: its only state is the counter, touched on the channel's
 * event loop.
 */
final class CountingRecvAllocator implements RecvByteBufAllocator {
    private final RecvByteBufAllocator delegate;
    private long bytes;

    CountingRecvAllocator(RecvByteBufAllocator delegate) {
        this.delegate = delegate;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public Handle newHandle() {
        return new Counting((ExtendedHandle) delegate.newHandle());
    }

    private final class Counting extends DelegatingHandle implements ExtendedHandle {
        private final ExtendedHandle ext;

        Counting(ExtendedHandle delegate) {
            super(delegate);
            this.ext = delegate;
        }

        @Override
        public void lastBytesRead(int n) {
            if (n > 0) {
                bytes += n;
            }
            super.lastBytesRead(n);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ext.continueReading(maybeMoreDataSupplier);
        }
    }
}

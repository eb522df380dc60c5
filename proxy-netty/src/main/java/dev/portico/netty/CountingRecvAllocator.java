package dev.portico.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
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
        return new Counting();
    }

    /**
     * The delegate's handle is made at the first read: the epoll channel config asks for a handle
     * only to check its type when the allocator is set, and with an eager one every channel made
     * (and dropped) an adaptive handle and its calculator for nothing.
     */
    private final class Counting implements ExtendedHandle {
        private ExtendedHandle ext;

        private ExtendedHandle ext() {
            ExtendedHandle h = ext;
            if (h == null) {
                h = (ExtendedHandle) delegate.newHandle();
                ext = h;
            }
            return h;
        }

        @Override
        public void lastBytesRead(int n) {
            if (n > 0) {
                bytes += n;
            }
            ext().lastBytesRead(n);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ext().continueReading(maybeMoreDataSupplier);
        }

        @Override
        @SuppressWarnings("deprecation")
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return ext().allocate(alloc);
        }

        @Override
        @SuppressWarnings("deprecation")
        public int guess() {
            return ext().guess();
        }

        @Override
        @SuppressWarnings("deprecation")
        public void reset(ChannelConfig config) {
            ext().reset(config);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void incMessagesRead(int numMessages) {
            ext().incMessagesRead(numMessages);
        }

        @Override
        @SuppressWarnings("deprecation")
        public int lastBytesRead() {
            return ext().lastBytesRead();
        }

        @Override
        @SuppressWarnings("deprecation")
        public void attemptedBytesRead(int n) {
            ext().attemptedBytesRead(n);
        }

        @Override
        @SuppressWarnings("deprecation")
        public int attemptedBytesRead() {
            return ext().attemptedBytesRead();
        }

        @Override
        @SuppressWarnings("deprecation")
        public boolean continueReading() {
            return ext().continueReading();
        }

        @Override
        @SuppressWarnings("deprecation")
        public void readComplete() {
            ext().readComplete();
        }
    }
}

package dev.portico.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Netty's epoll I/O handler with every descriptor's interest set kept non-empty.
 *
 * <p>Why: in Netty 4.2.18 an interest set that becomes empty is removed from the epoll set
 * ({@code EPOLL_CTL_DEL}) while the registration still counts as added, so the next non-empty set
 * is sent as {@code EPOLL_CTL_MOD} and fails with ENOENT. A client that half-closed has exactly
 * that history: its FIN clears EPOLLIN and EPOLLRDHUP, a drained write queue clears EPOLLOUT, and
 * the next write that has to wait for the socket (a large answer to a slow reader) fails, which
 * tore the relay down as a reset and cut the answer. {@code EPOLLERR} is always reported by the
 * kernel whatever the mask says, so adding it to every mask changes no event delivered; it only
 * keeps the mask from ever being empty, which is what Netty's later sources do too. With a Netty
 * that has the fix this wrapper is harmless.
 *
 * <p>An empty set becomes {@code EPOLLERR | EPOLLET} rather than a level-triggered
 * {@code EPOLLERR}: a socket whose both directions are shut reports EPOLLHUP whatever the mask, and
 * Netty acts on no EPOLLHUP alone, so level-triggered it would wake the loop on every turn (Netty
 * avoided that by deleting the descriptor). Edge-triggered it wakes it once.
 */
final class StableEpollIoHandler implements IoHandler {
    private final IoHandler delegate;

    private StableEpollIoHandler(IoHandler delegate) {
        this.delegate = delegate;
    }

    static IoHandlerFactory newFactory() {
        IoHandlerFactory epoll = EpollIoHandler.newFactory();
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor ioExecutor) {
                return new StableEpollIoHandler(epoll.newHandler(ioExecutor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return epoll.isChangingThreadSupported();
            }
        };
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return new Registration(delegate.register(handle));
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    /** Adds EPOLLERR to every interest set submitted, so that none is ever empty. */
    private static final class Registration implements IoRegistration {
        private static final EpollIoOps NOTHING = EpollIoOps.EPOLLERR.with(EpollIoOps.EPOLLET);
        private final IoRegistration delegate;

        Registration(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            if (ops instanceof EpollIoOps e) {
                return delegate.submit(e.value() == 0 ? NOTHING : e.with(EpollIoOps.EPOLLERR));
            }
            return delegate.submit(ops);
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            return delegate.cancel();
        }
    }
}

package dev.portico.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>It also tells the kernel each descriptor's interest set once per turn of the loop, not once per
 * change: a proxied connection changes its backend's set three times while the connect completes
 * (EPOLLOUT off, the same set again, EPOLLIN on), all between two waits, and only the last set
 * matters to the next wait. Sets submitted on the loop are kept and given to the kernel just before
 * the handler waits, skipping a set equal to the one the kernel has (benchmarks/conn-syscalls.sh:
 * 10 {@code epoll_ctl} per connection before, 8 after). Nothing can be missed: the kernel looks at
 * the set only when it waits, and a set changed after a wait returned is not given until the next
 * one. A descriptor closed before the flush is skipped, so a stale set never lands on a new socket
 * that reused its number.
 */
final class StableEpollIoHandler implements IoHandler {
    private static final Logger log = LoggerFactory.getLogger(StableEpollIoHandler.class);
    private static final EpollIoOps NOTHING = EpollIoOps.EPOLLERR.with(EpollIoOps.EPOLLET);
    /** The flags a channel's set is made of; Netty keeps objects for only six of their combinations. */
    private static final EpollIoOps[] FLAGS = {EpollIoOps.EPOLLIN, EpollIoOps.EPOLLOUT, EpollIoOps.EPOLLERR,
        EpollIoOps.EPOLLRDHUP, EpollIoOps.EPOLLET};
    /** Every combination of {@link #FLAGS}, indexed by which of them it holds (bit i: FLAGS[i]). */
    private static final EpollIoOps[] COMBINED = new EpollIoOps[1 << FLAGS.length];
    private static final int FLAG_BITS;

    static {
        int all = 0;
        for (EpollIoOps f : FLAGS) {
            all |= f.value();
        }
        FLAG_BITS = all;
        for (int i = 0; i < COMBINED.length; i++) {
            int value = 0;
            for (int f = 0; f < FLAGS.length; f++) {
                if ((i & 1 << f) != 0) {
                    value |= FLAGS[f].value();
                }
            }
            COMBINED[i] = EpollIoOps.valueOf(value);
        }
    }

    private final IoHandler delegate;
    private final ThreadAwareExecutor executor;
    /** Registrations with a set not yet given to the kernel; touched on the loop thread only. */
    private List<Registration> pending = new ArrayList<>();
    private List<Registration> flushing = new ArrayList<>();

    /**
     * The interest set {@code value}, without a new object when it is made of {@link #FLAGS} only:
     * {@code EpollIoOps.valueOf} allocates two objects for any other combination, which is most of
     * those a connection goes through (every one with EPOLLET or EPOLLRDHUP).
     */
    static EpollIoOps ops(int value) {
        if ((value & ~FLAG_BITS) != 0) {
            return EpollIoOps.valueOf(value);
        }
        int index = 0;
        for (int f = 0; f < FLAGS.length; f++) {
            if ((value & FLAGS[f].value()) != 0) {
                index |= 1 << f;
            }
        }
        return COMBINED[index];
    }

    StableEpollIoHandler(IoHandler delegate, ThreadAwareExecutor executor) {
        this.delegate = delegate;
        this.executor = executor;
    }

    static IoHandlerFactory newFactory() {
        return wrap(EpollIoHandler.newFactory());
    }

    /** Wraps the epoll handlers {@code epoll} makes (tests count what reaches the kernel through it). */
    static IoHandlerFactory wrap(IoHandlerFactory epoll) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor ioExecutor) {
                return new StableEpollIoHandler(epoll.newHandler(ioExecutor), ioExecutor);
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
        flushPending();
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        flushPending();
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return new Registration(delegate.register(handle), handle);
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    private void flushPending() {
        if (pending.isEmpty()) {
            return;
        }
        // A flush can close a channel (below), whose close submits again: those go to the next turn.
        List<Registration> batch = pending;
        pending = flushing;
        flushing = batch;
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).flush();
        }
        batch.clear();
    }

    private boolean onLoop() {
        return executor.isExecutorThread(Thread.currentThread());
    }

    /**
     * Adds EPOLLERR to every interest set submitted, so that none is ever empty, and keeps the last
     * set until the loop next waits.
     */
    private final class Registration implements IoRegistration {
        private final IoRegistration delegate;
        private final IoHandle handle;
        /** The set the kernel has, 0 before the first one was given. */
        private int given;
        /** The set to give at the next flush, 0 for none. */
        private int wanted;

        Registration(IoRegistration delegate, IoHandle handle) {
            this.delegate = delegate;
            this.handle = handle;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            if (!(ops instanceof EpollIoOps e)) {
                return delegate.submit(ops);
            }
            EpollIoOps stable = e.value() == 0 ? NOTHING : ops(e.value() | EpollIoOps.EPOLLERR.value());
            if (!onLoop()) {
                // Netty changes a channel's set on its loop only; anything else keeps its order
                // with the sets waiting there by going through the loop too.
                executor.execute(() -> submit(stable));
                return stable.value();
            }
            if (!delegate.isValid()) {
                return -1;
            }
            if (wanted == 0) {
                if (stable.value() == given) {
                    return given;
                }
                pending.add(this);
            }
            wanted = stable.value();
            return wanted;
        }

        void flush() {
            int set = wanted;
            wanted = 0;
            if (set == 0 || set == given || !delegate.isValid() || !isOpen()) {
                return;
            }
            try {
                delegate.submit(ops(set));
                given = set;
            } catch (RuntimeException e) {
                // Submitted at once, Netty would have failed the operation that changed the set and
                // closed the channel: do the same here, where the failure surfaces.
                log.warn("epoll_ctl failed for a descriptor ({}); closing its channel", NettyErrors.describe(e));
                closeHandle();
            }
        }

        private boolean isOpen() {
            return !(handle instanceof EpollIoHandle epoll) || epoll.fd().isOpen();
        }

        private void closeHandle() {
            try {
                handle.close();
            } catch (Exception closing) {
                log.warn("closing a channel after a failed epoll_ctl failed too: {}", NettyErrors.describe(closing));
            }
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            // A set still waiting is dropped at the flush, which finds the registration invalid.
            return delegate.cancel();
        }
    }
}

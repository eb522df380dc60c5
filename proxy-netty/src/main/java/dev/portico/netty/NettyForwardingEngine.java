package dev.portico.netty;

import dev.portico.api.ApplyResult.Change;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.ApplyResult;
import dev.portico.api.DesiredState;
import dev.portico.api.EngineStatus;
import dev.portico.api.ForwardingEngine;
import dev.portico.api.Frontend;
import dev.portico.api.Protocol;
import dev.portico.api.Cidr;
import dev.portico.api.ProxyEvents;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty {@link ForwardingEngine}. Every change of running state (apply, interface re-checks,
 * close) runs on one control thread; all I/O and timers run on the event loops, each backend
 * channel on its client channel's loop.
 *
 * <pre>{@code
 * try (var engine = NettyForwardingEngine.builder().build()) {
 *     engine.apply(DesiredState.of(Frontend.builder(":8080").backend("10.0.0.5:80").build()));
 *     ...
 * }
 * }</pre>
 */
public final class NettyForwardingEngine implements ForwardingEngine {
    private static final Logger log = LoggerFactory.getLogger(NettyForwardingEngine.class);

    private final EngineContext ctx;
    private final ScheduledExecutorService control;
    // Control thread only.
    private final Map<String, FrontendRuntime> running = new LinkedHashMap<>();
    private final List<FrontendRuntime> draining = new ArrayList<>();
    // Control thread only: one listener per bind shared by server name, keyed by the bind as written.
    private final Map<String, SniListener> sniListeners = new LinkedHashMap<>();
    private final ConfigLoops configLoops;
    private volatile boolean closing;

    private NettyForwardingEngine(Builder b) {
        Transport transport = b.transport.resolve();
        if (b.freebind && transport == Transport.NIO) {
            throw new IllegalStateException("IP_FREEBIND listeners need the epoll or io_uring transport "
                    + "(nio cannot set it)");
        }
        int threads = b.ioThreads > 0 ? b.ioThreads : Runtime.getRuntime().availableProcessors();
        boolean native_ = transport == Transport.EPOLL || transport == Transport.IO_URING;
        if (Boolean.TRUE.equals(b.reusePort) && !native_) {
            throw new IllegalStateException("SO_REUSEPORT listeners need the epoll or io_uring transport");
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("portico-io", true),
                transport.ioHandlerFactory());
        boolean reusePort = (b.reusePort == null ? native_ : b.reusePort) && threads > 1;
        List<EventLoopGroup> acceptors = new ArrayList<>();
        if (reusePort) {
            group.forEach(loop -> acceptors.add((EventLoop) loop));
        } else {
            acceptors.add(group);
        }
        int maxConnections = b.maxConnections >= 0 ? b.maxConnections : DescriptorLimit.defaultMaxConnections();
        LoopGuard loopGuard = new LoopGuard();
        this.ctx = new EngineContext(transport, group, acceptors,
                new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                        .datagramChannelType(transport.datagramChannelClass())),
                b.allocator, new WriteBufferWaterMark(b.lowWaterMark, b.highWaterMark),
                new AdaptiveRecvByteBufAllocator(64, 2048, b.maxReadBuffer), reusePort, b.freebind, b.events,
                b.defaultAllow, b.defaultDeny, new ConnectionLimit(maxConnections), loopGuard,
                b.recheckInterval, b.sniHelloTimeout, b.sniHelloMaxBytes, b.sniNonTlsToCatchAll);
        this.configLoops = new ConfigLoops(loopGuard::isLocal, b.events);
        this.control = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("portico-engine", true));
        long recheck = b.recheckInterval.toMillis();
        control.scheduleWithFixedDelay(this::recheck, recheck, recheck, TimeUnit.MILLISECONDS);
        log.info("engine started: transport {}, {} I/O threads{}, open files limit {}{}", transport.configName(),
                threads, reusePort ? ", a listening socket per thread (SO_REUSEPORT)" : "", NettyErrors.prepare(),
                b.maxConnections < 0 && maxConnections > 0 ? ", at most " + maxConnections
                        + " client connections (from the file descriptor limit)" : "");
    }

    /**
     * A builder with every setting at its default: AUTO transport, one I/O thread per processor,
     * no events listener.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The transport in use.
     *
     * @return epoll, io_uring or nio; never {@link Transport#AUTO}
     */
    public Transport transport() {
        return ctx.transport();
    }

    LoopGuard loopGuard() {
        return ctx.loopGuard();
    }

    /** What the engine shares with its listeners and connections (tests open listeners through it). */
    EngineContext context() {
        return ctx;
    }

    /**
     * The engine-wide client connection limit in force.
     *
     * @return the most client connections open at once over all frontends, 0 for no limit
     */
    public int maxConnections() {
        return ctx.connections().max();
    }

    private <T> T onControl(Callable<T> task) {
        try {
            return control.submit(task).get();
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("engine is closed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
        }
    }

    @Override
    public ApplyResult apply(DesiredState desired) {
        if (closing) {
            throw new IllegalStateException("engine is closed");
        }
        return onControl(() -> doApply(desired));
    }

    static String key(Frontend f) {
        // A TCP and a UDP frontend may share a bind; a TCP key reads as before (the bind alone).
        String own = f.bind().port() == 0 ? f.name() + "@" + f.listen() : f.listen().toString();
        return f.sni().isEmpty() ? own : own + " sni " + String.join(",", f.sni());
    }

    /**
     * Whether {@code f} is served by the shared listener of its bind: it has server names, or it
     * is the TCP catch-all of a bind where others have them (a port-0 frontend without names listens
     * alone, as every port-0 frontend does; a UDP frontend on that bind has a socket of its own).
     */
    private static boolean sharesBind(Frontend f, Map<String, SniListener> shared) {
        return f.protocol() == Protocol.TCP && shared.containsKey(f.bind().toString())
                && (!f.sni().isEmpty() || f.bind().port() != 0);
    }

    private ApplyResult doApply(DesiredState desired) {
        List<Change> changes = new ArrayList<>();
        List<ApplyResult.ListenerFailure> failures = new ArrayList<>();
        Map<String, Frontend> wanted = new LinkedHashMap<>();
        for (Frontend f : desired.frontends()) {
            wanted.put(key(f), f);
        }
        ctx.loopGuard().refresh();
        wanted = configLoops.filter(wanted, running, failures);
        for (var it = running.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!wanted.containsKey(e.getKey())) {
                FrontendRuntime rt = e.getValue();
                it.remove();
                rt.stopListening();
                if (rt.hasConnections()) {
                    draining.add(rt);
                }
                changes.add(new Change(ChangeKind.LISTENER_CLOSED, rt.name(), rt.config().bind(),
                        rt.hasConnections() ? "draining open connections" : "no open connections"));
            }
        }
        List<SniListener> fresh = SniBinds.prepare(ctx, wanted.values(), running, sniListeners, changes);
        for (SniListener l : fresh) {
            SniBinds.afterHandOver(l::bind);
        }
        for (Frontend f : wanted.values()) {
            FrontendRuntime rt = running.get(key(f));
            boolean member = sharesBind(f, sniListeners);
            if (rt != null) {
                changes.addAll(rt.update(f));
                if (!member && rt.shared() != null) {
                    String err = SniBinds.afterHandOver(rt::unshare);
                    if (err != null) {
                        failures.add(new ApplyResult.ListenerFailure(f.name(), f.bind(), err));
                    }
                }
                continue;
            }
            rt = new FrontendRuntime(ctx, f);
            running.put(key(f), rt);
            String err;
            if (member) {
                SniListener l = sniListeners.get(f.bind().toString());
                rt.share(l);
                err = l.error();
            } else {
                err = rt.bind();
            }
            if (err == null) {
                changes.add(new Change(ChangeKind.LISTENER_OPENED, f.name(), f.bind(),
                        String.valueOf(rt.status().boundAddress())));
            } else {
                failures.add(new ApplyResult.ListenerFailure(f.name(), f.bind(), err));
            }
        }
        SniBinds.publishRoutes(running.values(), sniListeners);
        return new ApplyResult(changes, failures);
    }

    private void recheck() {
        try {
            ctx.loopGuard().refresh();
            for (SniListener l : sniListeners.values()) {
                String moved = l.recheck();
                if (moved != null) {
                    log.info("{}: {}", l.label(), moved);
                }
            }
            for (FrontendRuntime rt : running.values()) {
                String moved = rt.recheck();
                if (moved != null) {
                    log.info("frontend {}: {}", rt.logName(), moved);
                }
            }
            draining.removeIf(rt -> !rt.hasConnections());
        } catch (RuntimeException e) {
            log.error("listener re-check failed", e);
        }
    }

    @Override
    public EngineStatus status() {
        List<EngineStatus.FrontendStatus> out = new ArrayList<>();
        long active = 0;
        if (closing) {
            // A status page scraped during shutdown sees nothing rather than an error.
            return new EngineStatus(ctx.transport().configName(), out, 0);
        }
        List<FrontendRuntime> all = onControl(() -> {
            List<FrontendRuntime> l = new ArrayList<>(running.values());
            l.addAll(draining);
            return l;
        });
        for (FrontendRuntime rt : all) {
            EngineStatus.FrontendStatus s = rt.status();
            active += s.activeConnections();
            out.add(s);
        }
        return new EngineStatus(ctx.transport().configName(), out, active);
    }

    @Override
    public void close(Duration drainDeadline) {
        if (closing) {
            return;
        }
        List<FrontendRuntime> all = onControl(() -> {
            closing = true;
            List<FrontendRuntime> l = new ArrayList<>(running.values());
            l.addAll(draining);
            for (FrontendRuntime rt : running.values()) {
                rt.stopListening();
            }
            sniListeners.values().forEach(SniListener::close);
            sniListeners.clear();
            draining.clear();
            draining.addAll(l);
            running.clear();
            return l;
        });
        control.shutdown();
        try {
            ctx.connections().drain().get(drainDeadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            long open = all.stream().filter(FrontendRuntime::hasConnections).count();
            log.info("drain deadline of {} passed with connections open on {} frontend(s); closing them",
                    drainDeadline, open);
            all.forEach(FrontendRuntime::cutAll);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            all.forEach(FrontendRuntime::cutAll);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
        ctx.resolver().close();
        ctx.group().shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** Engine settings; every one has a default. */
    public static final class Builder {
        private Transport transport = Transport.AUTO;
        private int ioThreads;
        private ProxyEvents events = ProxyEvents.NONE;
        private ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;
        private int lowWaterMark = 32 * 1024;
        private int highWaterMark = 64 * 1024;
        private Duration recheckInterval = Duration.ofSeconds(2);
        private int maxReadBuffer = 256 * 1024;
        private Boolean reusePort; // null: on where the transport has it
        private boolean freebind;
        private List<Cidr> defaultAllow = List.of();
        private List<Cidr> defaultDeny = List.of();
        private int maxConnections = -1;
        private Duration sniHelloTimeout = Duration.ofSeconds(10);
        private int sniHelloMaxBytes = ClientHello.DEFAULT_MAX_SIZE;
        private boolean sniNonTlsToCatchAll;

        private Builder() {
        }

        /**
         * How long a client on a bind shared by TLS server name may take to send its whole
         * ClientHello before it is closed (default 10 s).
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is zero or negative
         */
        public Builder sniHelloTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("sniHelloTimeout must be positive");
            }
            sniHelloTimeout = value;
            return this;
        }

        /**
         * The most bytes (records and their headers) read while waiting for a whole ClientHello on a
         * bind shared by TLS server name; a larger hello is closed (default 16 KiB, which holds any
         * hello a browser sends, post-quantum key shares included).
         *
         * @param value bytes, from 512 to 1 MiB
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is outside that range
         */
        public Builder sniHelloMaxBytes(int value) {
            if (value < ClientHello.MIN_MAX_SIZE || value > ClientHello.MAX_MAX_SIZE) {
                throw new IllegalArgumentException("sniHelloMaxBytes must be between " + ClientHello.MIN_MAX_SIZE
                        + " and " + ClientHello.MAX_MAX_SIZE + ", got " + value);
            }
            sniHelloMaxBytes = value;
            return this;
        }

        /**
         * What happens to a connection on a bind shared by TLS server name whose first bytes are not
         * TLS (plain text, another protocol): closed at once (false, the default), or handed with
         * those bytes to the bind's catch-all frontend (true; closed all the same where there is
         * none), for an operator who runs something that is not TLS behind the catch-all.
         *
         * @param value true to hand such connections to the catch-all
         * @return this builder
         */
        public Builder sniNonTlsToCatchAll(boolean value) {
            sniNonTlsToCatchAll = value;
            return this;
        }

        /**
         * The I/O transport; {@link Transport#AUTO} by default: epoll where it loads, else nio.
         *
         * @param value the transport
         * @return this builder
         */
        public Builder transport(Transport value) {
            transport = value;
            return this;
        }

        /**
         * The I/O threads (event loops) that accept and relay.
         *
         * @param value threads; 0 (the default) means one per available processor
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is negative
         */
        public Builder ioThreads(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("ioThreads must be >= 0");
            }
            ioThreads = value;
            return this;
        }

        /**
         * Where the engine reports applies, connections, listeners and health changes
         * ({@link ProxyEvents#all} combines several); none by default. Its methods are called on
         * the engine's threads and must not block.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder events(ProxyEvents value) {
            events = value;
            return this;
        }

        /**
         * The buffer allocator for reads and writes; Netty's default (pooled) by default.
         *
         * @param value the allocator
         * @return this builder
         */
        public Builder allocator(ByteBufAllocator value) {
            allocator = value;
            return this;
        }

        /**
         * Bytes a connection may queue towards one peer before the proxy stops reading from the
         * other: the per-connection memory bound (default 32 KiB and 64 KiB).
         *
         * @param low  bytes below which reading resumes
         * @param high bytes above which reading pauses
         * @return this builder
         * @throws IllegalArgumentException unless {@code 0 < low <= high}
         */
        public Builder writeBufferWaterMark(int low, int high) {
            if (low <= 0 || high < low) {
                throw new IllegalArgumentException("need 0 < low <= high, got " + low + ", " + high);
            }
            lowWaterMark = low;
            highWaterMark = high;
            return this;
        }

        /**
         * How often interface binds are re-resolved and failed listeners retried (default 2 s).
         *
         * @param value the interval
         * @return this builder
         */
        public Builder recheckInterval(Duration value) {
            recheckInterval = value;
            return this;
        }

        /**
         * The largest buffer one socket read may fill (default 256 KiB, measured +45% bulk over
         * 64 KiB); reads grow to it only under bulk load, and idle connections hold no buffer.
         *
         * @param bytes at least 1024
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is under 1024
         */
        public Builder maxReadBuffer(int bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("maxReadBuffer must be >= 1024");
            }
            maxReadBuffer = bytes;
            return this;
        }

        /**
         * One listening socket per I/O thread with SO_REUSEPORT (epoll, io_uring), so accepted
         * connections stay on the thread that accepted them: no hand-off to another loop (an
         * eventfd write and a wake-up per connection, benchmarks/README.md "Per-connection cost").
         * On by default with epoll and io_uring and more than one I/O thread; nio has no
         * SO_REUSEPORT and accepts on one socket for all loops. The kernel would let a second
         * process of the same user that also sets SO_REUSEPORT share the port (a second router
         * started by hand, taking half the connections); the engine looks for such a socket in
         * /proc before it keeps a bind and refuses the port as a plain bind would ("address
         * already in use", retried). {@code false} leaves that to the kernel alone.
         *
         * @param value true for a socket per I/O thread, false for one socket per listener
         * @return this builder
         */
        public Builder reusePort(boolean value) {
            reusePort = value;
            return this;
        }

        /**
         * Sets IP_FREEBIND on listeners, so they bind an address this machine does not hold (yet):
         * a standby router already listens on the floating address that keepalived/VRRP moves to
         * it. Needs the epoll or io_uring transport; {@link #build()} fails on nio. Default off.
         *
         * @param value true to set IP_FREEBIND
         * @return this builder
         */
        public Builder freebind(boolean value) {
            freebind = value;
            return this;
        }

        /**
         * Clients served by frontends without an allow list of their own.
         *
         * @param value networks; empty (the default) allows everyone
         * @return this builder
         */
        public Builder defaultAllow(List<Cidr> value) {
            defaultAllow = value;
            return this;
        }

        /**
         * Clients refused by every frontend, in addition to each frontend's deny list.
         *
         * @param value networks; empty by default
         * @return this builder
         */
        public Builder defaultDeny(List<Cidr> value) {
            defaultDeny = value;
            return this;
        }

        /**
         * The most client connections open at once over all frontends; 0 for no limit. By default
         * it follows the file descriptor limit: (limit - reserve) / 2, as each connection takes
         * two descriptors, so nothing (a loop, a flood) can take the descriptors that listeners,
         * probes and logs need; no limit where the JVM cannot read it.
         *
         * @param value connections; 0 for no limit
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is negative
         */
        public Builder maxConnections(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("maxConnections must be >= 0");
            }
            maxConnections = value;
            return this;
        }

        /**
         * Starts the engine: its I/O threads run until {@link NettyForwardingEngine#close(Duration)}.
         * It listens on nothing until the first {@link NettyForwardingEngine#apply(DesiredState)}.
         *
         * @return the running engine
         * @throws IllegalStateException if a setting needs what the transport lacks (SO_REUSEPORT
         *                               or IP_FREEBIND on nio)
         */
        public NettyForwardingEngine build() {
            return new NettyForwardingEngine(this);
        }
    }
}

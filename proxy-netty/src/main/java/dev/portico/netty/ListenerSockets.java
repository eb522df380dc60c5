package dev.portico.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The listening sockets of one bind: one per acceptor group (several with SO_REUSEPORT), all on
 * the same port. Shared by a frontend's own listener and a listener shared by server name.
 */
final class ListenerSockets {
    /** The sockets bound, or, when {@code channels} is empty, why not (in plain words). */
    record Bound(List<Channel> channels, String failure) {
    }

    private ListenerSockets() {
    }

    /**
     * Binds {@code addr} once per acceptor group with {@code bind}; on any failure closes what it
     * opened. Blocks the calling (control) thread for at most 10 s per socket. With SO_REUSEPORT
     * a port another process holds is refused as a plain bind would be ({@link ForeignListeners}).
     */
    static Bound open(EngineContext ctx, InetSocketAddress addr, boolean udp,
                      BiFunction<EventLoopGroup, InetSocketAddress, ChannelFuture> bind) {
        if (ctx.reusePort()) {
            String other = ForeignListeners.holder(addr, udp);
            if (other != null) {
                return new Bound(List.of(), "bind to " + addr + " failed: "
                        + NettyErrors.describeForeignListener(addr, other, udp, ctx.recheckInterval()));
            }
        }
        List<Channel> opened = new ArrayList<>();
        InetSocketAddress target = addr;
        for (EventLoopGroup loops : ctx.acceptorGroups()) {
            ChannelFuture f = bind.apply(loops, target);
            if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS) || !f.isSuccess()) {
                String why = f.isDone() ? NettyErrors.describeBind(f.cause(), addr, ctx.recheckInterval())
                        : "timed out";
                closeFailed(f.channel());
                opened.forEach(Channel::close);
                return new Bound(List.of(), "bind to " + addr + " failed: " + why);
            }
            opened.add(f.channel());
            // Port 0: every further socket joins the port the first one got.
            target = new InetSocketAddress(addr.getAddress(), ((InetSocketAddress) f.channel().localAddress()).getPort());
        }
        return new Bound(List.copyOf(opened), null);
    }

    /**
     * A socket whose bind failed may never have been registered (no descriptor left to create it:
     * Netty hands back a placeholder channel), and closing that through its pipeline throws.
     */
    private static void closeFailed(Channel ch) {
        if (ch.isRegistered()) {
            ch.close();
        } else {
            ch.unsafe().closeForcibly();
        }
    }
}

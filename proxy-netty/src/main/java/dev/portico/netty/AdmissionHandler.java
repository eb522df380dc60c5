package dev.portico.netty;

import dev.portico.api.CloseReason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of an accepted client channel: refuses a loop back to this router, counts the
 * client against the limits, reads a PROXY header where the listener expects one (through a
 * {@link ProxyHeaderDecoder} in front of it), applies the access lists to the client that header
 * states, and only then removes itself and starts the {@link Relay}. Nothing reaches a backend
 * before every check has passed. Event loop of the channel only.
 */
final class AdmissionHandler extends ChannelInboundHandlerAdapter {
    private final FrontendRuntime frontend;
    private final Relay relay;
    private ChannelHandlerContext ctx;
    // The client as the relay reports and forwards it: the TCP peer, or the address a trusted
    // PROXY header stated.
    private InetSocketAddress clientAddress;
    private InetSocketAddress localAddress;
    private ScheduledFuture<?> headerTimer;

    AdmissionHandler(FrontendRuntime frontend, Relay relay) {
        this.frontend = frontend;
        this.relay = relay;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        admit(ctx);
        ctx.fireChannelActive();
    }

    /**
     * Runs the checks on a channel that is active and not reading yet; called directly for a
     * channel a shared listener routed here after it was active.
     */
    void admit(ChannelHandlerContext context) {
        ctx = context;
        Channel client = context.channel();
        clientAddress = (InetSocketAddress) client.remoteAddress();
        localAddress = (InetSocketAddress) client.localAddress();
        String loop = frontend.loopFrom(client, clientAddress, localAddress);
        if (loop != null) {
            refuse(CloseReason.LOOP, loop);
            return;
        }
        String full = frontend.admission().acquire();
        if (full != null) {
            refuse(CloseReason.LIMIT, full);
            return;
        }
        relay.counted();
        var accept = frontend.config().acceptProxy();
        if (!accept.enabled()) {
            checkAccessAndPass();
            return;
        }
        if (!frontend.admission().trustedProxy(clientAddress)) {
            refuse(CloseReason.DENIED, "not a trusted PROXY protocol sender");
            return;
        }
        context.pipeline().addFirst(new ProxyHeaderDecoder(this));
        headerTimer = client.eventLoop().schedule(
                () -> refuse(CloseReason.BAD_PROXY_HEADER, "no PROXY header within " + accept.headerTimeout().toMillis()
                        + " ms"), accept.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
        client.config().setAutoRead(true);
    }

    /** A valid PROXY header: from now on the client is the one it names. */
    void proxyHeader(HAProxyMessage m) {
        if (relay.isClosed()) {
            return;
        }
        headerTimer.cancel(false);
        ctx.channel().config().setAutoRead(false);
        if (m.command() == HAProxyCommand.PROXY && m.sourceAddress() != null) {
            try {
                clientAddress = new InetSocketAddress(InetAddress.getByName(m.sourceAddress()), m.sourcePort());
                localAddress = new InetSocketAddress(InetAddress.getByName(m.destinationAddress()),
                        m.destinationPort());
            } catch (UnknownHostException e) {
                // The decoder only accepts literals, so this does not happen; refuse if it does.
                refuse(CloseReason.BAD_PROXY_HEADER, "bad address in PROXY header: " + e.getMessage());
                return;
            }
        }
        checkAccessAndPass();
    }

    private void checkAccessAndPass() {
        String denied = frontend.admission().denied(clientAddress);
        if (denied != null) {
            refuse(CloseReason.DENIED, denied);
            return;
        }
        ctx.pipeline().remove(this);
        relay.start(clientAddress, localAddress);
    }

    /** Ends a connection that never reached a backend, and says why. */
    void refuse(CloseReason reason, String why) {
        relay.refuse(reason, why, clientAddress);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (headerTimer != null) {
            headerTimer.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}

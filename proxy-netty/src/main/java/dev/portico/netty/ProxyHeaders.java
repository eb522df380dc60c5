package dev.portico.netty;

import dev.portico.api.CloseReason;
import dev.portico.api.ProxyProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** PROXY protocol on both sides of a relay, with Netty's {@code netty-codec-haproxy}. */
final class ProxyHeaders {
    private ProxyHeaders() {
    }

    /** Writes the header for the relay's client as the first bytes to the backend. */
    static void send(Channel backend, ProxyProtocol version, InetSocketAddress client, InetSocketAddress local) {
        backend.pipeline().addFirst(HAProxyMessageEncoder.INSTANCE);
        // Flushed at once: a server-speaks-first protocol (SSH, SMTP) needs it before any client byte.
        backend.writeAndFlush(message(version, client, local), backend.voidPromise());
        backend.pipeline().remove(HAProxyMessageEncoder.INSTANCE);
    }

    static HAProxyMessage message(ProxyProtocol version, InetSocketAddress client, InetSocketAddress local) {
        InetAddress src = client.getAddress();
        InetAddress dst = local.getAddress();
        boolean v4 = src instanceof Inet4Address && dst instanceof Inet4Address;
        return new HAProxyMessage(version == ProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                literal(src, v4), literal(dst, v4), client.getPort(), local.getPort());
    }

    private static String literal(InetAddress a, boolean v4) {
        if (v4 || !(a instanceof Inet4Address)) {
            return a.getHostAddress().replaceAll("%.*$", "");
        }
        return "::ffff:" + a.getHostAddress();
    }

    /** Puts the decoder and the header handler in front of the relay handler. */
    static void expect(Relay relay) {
        relay.client.pipeline().addFirst(new HAProxyMessageDecoder(), new HeaderHandler(relay));
    }

    /** Takes the decoded header (or the decoder's failure) and hands it to the relay; then leaves. */
    private static final class HeaderHandler extends ChannelInboundHandlerAdapter {
        private final Relay relay;

        HeaderHandler(Relay relay) {
            this.relay = relay;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HAProxyMessage m) {
                try {
                    ctx.pipeline().remove(this);
                    relay.proxyHeader(m);
                } finally {
                    m.release();
                }
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            relay.refuse(CloseReason.BAD_PROXY_HEADER,
                    "malformed PROXY header: " + NettyErrors.describe(cause));
        }
    }
}

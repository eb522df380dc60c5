package dev.portico.netty;

import dev.portico.api.ProxyProtocol;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * PROXY protocol on both sides of a relay: Netty's encoder out, {@link ProxyHeaderDecoder} in (put
 * in front by the {@link AdmissionHandler}).
 */
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

    static String literal(InetAddress a, boolean v4) {
        if (v4 || !(a instanceof Inet4Address)) {
            return a.getHostAddress().replaceAll("%.*$", "");
        }
        return "::ffff:" + a.getHostAddress();
    }
}

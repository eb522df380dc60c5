package dev.portico.netty;

import dev.portico.api.CloseReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.ReferenceCountUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * Reads one PROXY protocol header (v1 or v2, HAProxy's doc/proxy-protocol.txt) on a TCP listener,
 * strictly: a byte that cannot continue a valid header refuses the connection at once, not after
 * the header timeout, and so does an EOF before the header ends. What follows the header is passed
 * on untouched. Netty's decoder accepts leading zeros, signs and UDP headers, hence this one.
 *
 * <p>Headers that state no usable TCP endpoints (v2 LOCAL, UNSPEC or AF_UNIX, v1 UNKNOWN) are
 * accepted as the spec says and reported as a LOCAL message: the relay keeps the real endpoints.
 */
final class ProxyHeaderDecoder extends ChannelInboundHandlerAdapter {
    static final int V1_MAX = 107;
    private static final byte[] V1_TCP4 = "PROXY TCP4 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V1_TCP6 = "PROXY TCP6 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V1_UNKNOWN = "PROXY UNKNOWN".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIG = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private final AdmissionHandler admission;
    private byte[] header = new byte[V1_MAX + 1];
    private int pos;
    private boolean v1 = true;
    private boolean v2 = true;
    // v2 only: the total header length once the length field has been read.
    private int v2Total = -1;
    private boolean done;

    ProxyHeaderDecoder(AdmissionHandler admission) {
        this.admission = admission;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            HAProxyMessage m = consume(in);
            if (m == null) {
                return;
            }
            done = true;
            ctx.pipeline().remove(this);
            try {
                admission.proxyHeader(m);
            } finally {
                m.release();
            }
            if (in.isReadable()) {
                ctx.fireChannelRead(in.retain());
            }
        } catch (BadHeader e) {
            fail(e.getMessage());
        } finally {
            in.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !done) {
            fail("the client closed after " + pos + " bytes of a PROXY header");
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done) {
            fail("the connection ended after " + pos + " bytes of a PROXY header");
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail("while reading a PROXY header: " + NettyErrors.describe(cause));
    }

    private void fail(String why) {
        done = true;
        admission.refuse(CloseReason.BAD_PROXY_HEADER, "malformed PROXY header: " + why);
    }

    /** Takes header bytes from {@code in}, leaving the rest; the header once complete, else null. */
    private HAProxyMessage consume(ByteBuf in) throws BadHeader {
        while (in.isReadable()) {
            if (v2 && pos >= 16) {
                int n = Math.min(in.readableBytes(), v2Total - pos);
                in.readBytes(header, pos, n);
                pos += n;
                if (pos == v2Total) {
                    return v2Message();
                }
                continue;
            }
            byte b = in.readByte();
            int at = pos;
            header[pos++] = b;
            if (v1 && !v1Continues(b, at)) {
                v1 = false;
            }
            if (v2 && at < 12 && b != V2_SIG[at]) {
                v2 = false;
            }
            if (!v1 && !v2) {
                throw new BadHeader(String.format("byte 0x%02X at offset %d cannot %s", b & 0xff, at,
                        at == 0 ? "start a PROXY header" : "continue a PROXY header"));
            }
            if (v1 && b == '\n') {
                return v1Message();
            }
            if (v2 && at >= 12) {
                v2Field(at);
                if (pos == v2Total) {
                    return v2Message();
                }
            }
        }
        return null;
    }

    private boolean v1Continues(byte b, int at) throws BadHeader {
        if (!consistent(V1_TCP4, at) && !consistent(V1_TCP6, at) && !consistent(V1_UNKNOWN, at)) {
            return false;
        }
        if (at < V1_TCP4.length) {
            return true;
        }
        if (at >= V1_MAX) {
            throw new BadHeader("v1 line longer than " + V1_MAX + " bytes");
        }
        if (at == V1_UNKNOWN.length && consistent(V1_UNKNOWN, at) && b != ' ' && b != '\r') {
            return false;
        }
        byte prev = header[at - 1];
        if (prev == '\r') {
            return b == '\n';
        }
        return b == '\r' || (b >= 0x20 && b < 0x7f);
    }

    /** Whether the bytes read up to {@code at} agree with {@code expected} as far as both go. */
    private boolean consistent(byte[] expected, int at) {
        for (int i = 0; i <= at && i < expected.length; i++) {
            if (header[i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /** Checks the v2 field that byte {@code at} completes, as soon as it is read. */
    private void v2Field(int at) throws BadHeader {
        int b = header[at] & 0xff;
        if (at == 12) {
            if (b >> 4 != 2) {
                throw new BadHeader("v2 version " + (b >> 4) + " at offset 12, expected 2");
            }
            if ((b & 0xf) > 1) {
                throw new BadHeader("v2 command " + (b & 0xf) + " at offset 12, expected 0 (LOCAL) or 1 (PROXY)");
            }
        } else if (at == 13 && proxyCommand()) {
            switch (b) {
                case 0x00, 0x11, 0x21, 0x31 -> { }
                case 0x12, 0x22, 0x32 -> throw new BadHeader("v2 header for a datagram (UDP) connection on a TCP "
                        + "listener (family/transport 0x" + Integer.toHexString(b) + " at offset 13)");
                default -> throw new BadHeader(String.format("v2 family/transport 0x%02X at offset 13 is not "
                        + "a defined value", b));
            }
        } else if (at == 15) {
            int len = ((header[14] & 0xff) << 8) | b;
            int need = proxyCommand() ? switch ((header[13] & 0xff) >> 4) {
                case 1 -> 12;
                case 2 -> 36;
                case 3 -> 216;
                default -> 0;
            } : 0;
            if (len < need) {
                throw new BadHeader("v2 length " + len + " at offset 14 is shorter than the " + need
                        + " address bytes its family needs");
            }
            v2Total = 16 + len;
            if (v2Total > header.length) {
                byte[] bigger = new byte[v2Total];
                System.arraycopy(header, 0, bigger, 0, pos);
                header = bigger;
            }
        }
    }

    private boolean proxyCommand() {
        return (header[12] & 0xf) == 1;
    }

    private HAProxyMessage v2Message() throws BadHeader {
        int family = (header[13] & 0xff) >> 4;
        if (!proxyCommand() || (family != 1 && family != 2)) {
            // LOCAL (a health check from the proxy itself), UNSPEC, AF_UNIX: the real endpoints
            // stand; TLVs and any address block are skipped with the declared length.
            return realEndpoints(HAProxyProtocolVersion.V2);
        }
        int alen = family == 1 ? 4 : 16;
        InetAddress src = address(16, alen);
        InetAddress dst = address(16 + alen, alen);
        int p = 16 + 2 * alen;
        int sport = ((header[p] & 0xff) << 8) | (header[p + 1] & 0xff);
        int dport = ((header[p + 2] & 0xff) << 8) | (header[p + 3] & 0xff);
        return message(HAProxyProtocolVersion.V2, src, dst, sport, dport);
    }

    private InetAddress address(int offset, int len) throws BadHeader {
        byte[] a = new byte[len];
        System.arraycopy(header, offset, a, 0, len);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new BadHeader("bad address at offset " + offset);
        }
    }

    private HAProxyMessage v1Message() throws BadHeader {
        // Without the CRLF; v1Continues made sure it ends so and holds printable ASCII only.
        String line = new String(header, 0, pos - 2, StandardCharsets.US_ASCII);
        if (line.startsWith("PROXY UNKNOWN") && (line.length() == 13 || line.charAt(13) == ' ')) {
            return realEndpoints(HAProxyProtocolVersion.V1);
        }
        String[] f = line.split(" ", -1);
        if (f.length != 6) {
            throw new BadHeader("v1 line has " + f.length + " space-separated fields, expected 6: " + line);
        }
        boolean four = f[1].equals("TCP4");
        if (!four && !f[1].equals("TCP6")) {
            throw new BadHeader("v1 protocol '" + f[1] + "' at offset 6, expected TCP4, TCP6 or UNKNOWN");
        }
        byte[] src = four ? V1Addresses.ipv4(f[2]) : V1Addresses.ipv6(f[2]);
        byte[] dst = four ? V1Addresses.ipv4(f[3]) : V1Addresses.ipv6(f[3]);
        int at = f[0].length() + f[1].length() + 2;
        if (src == null) {
            throw new BadHeader("bad " + f[1] + " source address '" + f[2] + "' at offset " + at);
        }
        at += f[2].length() + 1;
        if (dst == null) {
            throw new BadHeader("bad " + f[1] + " destination address '" + f[3] + "' at offset " + at);
        }
        at += f[3].length() + 1;
        int sport = V1Addresses.port(f[4]);
        if (sport < 0) {
            throw new BadHeader("bad source port '" + f[4] + "' at offset " + at);
        }
        at += f[4].length() + 1;
        int dport = V1Addresses.port(f[5]);
        if (dport < 0) {
            throw new BadHeader("bad destination port '" + f[5] + "' at offset " + at);
        }
        try {
            return message(HAProxyProtocolVersion.V1, InetAddress.getByAddress(src), InetAddress.getByAddress(dst),
                    sport, dport);
        } catch (UnknownHostException e) {
            throw new BadHeader("bad address in " + line);
        }
    }

    private static HAProxyMessage realEndpoints(HAProxyProtocolVersion v) {
        return new HAProxyMessage(v, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0);
    }

    private static HAProxyMessage message(HAProxyProtocolVersion v, InetAddress src, InetAddress dst, int sport,
                                          int dport) {
        // A v4-mapped IPv6 address reads back as an Inet4Address; TCP6 then states it mapped.
        boolean four = src instanceof Inet4Address && dst instanceof Inet4Address;
        return new HAProxyMessage(v, HAProxyCommand.PROXY, four ? HAProxyProxiedProtocol.TCP4
                : HAProxyProxiedProtocol.TCP6, ProxyHeaders.literal(src, four), ProxyHeaders.literal(dst, four),
                sport, dport);
    }

    /** A header that cannot be valid; the message says why and where. */
    private static final class BadHeader extends Exception {
        BadHeader(String message) {
            super(message, null, false, false);
        }
    }
}

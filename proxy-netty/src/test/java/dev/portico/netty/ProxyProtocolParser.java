package dev.portico.netty;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A test backend's own reader of PROXY v1 and v2 headers, independent of Netty's codec. */
final class ProxyProtocolParser {
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /**
     * The version read and the client source address it states; for v2 also the family and
     * transport byte ({@code 0x11} TCP over IPv4, {@code 0x12} UDP over IPv4, {@code 0x22} UDP over IPv6).
     */
    record Header(int version, InetSocketAddress source, InetSocketAddress destination, int familyTransport) {
    }

    private ProxyProtocolParser() {
    }

    static Header read(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        byte[] first = new byte[12];
        in.readFully(first, 0, 5);
        if (new String(first, 0, 5, StandardCharsets.US_ASCII).equals("PROXY")) {
            StringBuilder line = new StringBuilder("PROXY");
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0 || line.length() > 107) {
                    throw new IOException("bad v1 header: " + line);
                }
                line.append((char) c);
            }
            String[] p = line.toString().strip().split(" ");
            // PROXY TCP4 src dst sport dport
            return new Header(1, new InetSocketAddress(InetAddress.getByName(p[2]), Integer.parseInt(p[4])),
                    new InetSocketAddress(InetAddress.getByName(p[3]), Integer.parseInt(p[5])), 0);
        }
        in.readFully(first, 5, 7);
        if (!Arrays.equals(first, V2_SIGNATURE)) {
            throw new IOException("neither a v1 nor a v2 PROXY header");
        }
        int verCmd = in.readUnsignedByte();
        int famProto = in.readUnsignedByte();
        int len = in.readUnsignedShort();
        byte[] body = new byte[len];
        in.readFully(body);
        if (verCmd != 0x21) {
            throw new IOException("expected v2 PROXY command, got " + Integer.toHexString(verCmd));
        }
        int alen = famProto >> 4 == 1 ? 4 : 16;
        InetAddress src = InetAddress.getByAddress(Arrays.copyOfRange(body, 0, alen));
        InetAddress dst = InetAddress.getByAddress(Arrays.copyOfRange(body, alen, 2 * alen));
        int sport = ((body[2 * alen] & 0xff) << 8) | (body[2 * alen + 1] & 0xff);
        int dport = ((body[2 * alen + 2] & 0xff) << 8) | (body[2 * alen + 3] & 0xff);
        return new Header(2, new InetSocketAddress(src, sport), new InetSocketAddress(dst, dport), famProto);
    }
}

package dev.portico.netty;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the server name from the start of a TLS connection without consuming or changing a byte:
 * the handshake may span several records and arrive in any number of segments, so each call
 * re-reads what has arrived so far and says whether it needs more. Only what routing needs is
 * checked; the backend's TLS stack judges the rest.
 */
final class ClientHello {
    /** The most bytes read while waiting for a whole ClientHello (records and their headers), by default. */
    static final int DEFAULT_MAX_SIZE = 16 * 1024;
    /** The bounds an operator may set the limit within: room for any real hello, a bounded buffer. */
    static final int MIN_MAX_SIZE = 512;
    static final int MAX_MAX_SIZE = 1024 * 1024;
    // The largest TLS record length (TLSCiphertext: 2^14 + 2048); anything longer is not TLS.
    private static final int MAX_RECORD = 16 * 1024 + 2048;
    private static final int RECORD_HEADER = 5;
    private static final int HANDSHAKE = 22;
    private static final int CLIENT_HELLO = 1;
    private static final int SERVER_NAME = 0;
    private static final int HOST_NAME = 0;

    enum Kind { NEED_MORE, DONE, NOT_TLS, TOO_LARGE }

    /**
     * @param serverName the host name sent, lower case; {@code null} when the hello has none
     * @param problem    why the bytes are not a ClientHello (for {@code NOT_TLS})
     */
    record Result(Kind kind, String serverName, String problem) {
        static final Result NEED_MORE = new Result(Kind.NEED_MORE, null, null);
        static final Result TOO_LARGE = new Result(Kind.TOO_LARGE, null, null);

        static Result notTls(String why) {
            return new Result(Kind.NOT_TLS, null, why);
        }
    }

    private ClientHello() {
    }

    /**
     * Inspects the readable bytes of {@code in}, which start at the connection's first byte, allowing
     * at most {@code max} bytes for the whole hello.
     */
    static Result inspect(ByteBuf in, int max) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        // The handshake message is gathered from the records' payloads.
        byte[] handshake = null;
        int have = 0;
        int at = start;
        while (true) {
            if (end - at < RECORD_HEADER) {
                if (at == start && end > start && in.getUnsignedByte(start) != HANDSHAKE) {
                    return Result.notTls("does not start with a TLS handshake record");
                }
                return tooLarge(end - start, max);
            }
            int type = in.getUnsignedByte(at);
            int major = in.getUnsignedByte(at + 1);
            int length = in.getUnsignedShort(at + 3);
            if (type != HANDSHAKE || major != 3) {
                return Result.notTls(at == start ? "does not start with a TLS handshake record"
                        : "a record of another type interrupts the ClientHello");
            }
            if (length == 0 || length > MAX_RECORD) {
                return Result.notTls("TLS record length " + length + " is not allowed");
            }
            if (end - at - RECORD_HEADER < length) {
                return tooLarge(at + RECORD_HEADER + length - start, max);
            }
            if (handshake == null) {
                handshake = new byte[Math.min(max, 4 + length)];
            }
            int n = Math.min(length, max - have);
            if (have + n > handshake.length) {
                handshake = java.util.Arrays.copyOf(handshake, Math.min(max, Math.max(have + n, handshake.length * 2)));
            }
            in.getBytes(at + RECORD_HEADER, handshake, have, n);
            have += n;
            at += RECORD_HEADER + length;
            if (have >= 4) {
                if (handshake[0] != CLIENT_HELLO) {
                    return Result.notTls("the first handshake message is not a ClientHello");
                }
                int bodyLength = (handshake[1] & 0xff) << 16 | (handshake[2] & 0xff) << 8 | handshake[3] & 0xff;
                if (bodyLength + 4 > max) {
                    return Result.TOO_LARGE;
                }
                if (have >= bodyLength + 4) {
                    return serverName(handshake, 4, 4 + bodyLength);
                }
            }
            if (at - start >= max) {
                return Result.TOO_LARGE;
            }
        }
    }

    private static Result tooLarge(int needed, int max) {
        return needed >= max ? Result.TOO_LARGE : Result.NEED_MORE;
    }

    /** Walks the ClientHello body to its server_name extension. */
    private static Result serverName(byte[] b, int from, int to) {
        int p = from + 2 + 32; // client_version, random
        if (p >= to) {
            return Result.notTls("ClientHello too short");
        }
        p += 1 + (b[p] & 0xff); // session_id
        if (p + 2 > to) {
            return Result.notTls("ClientHello too short");
        }
        p += 2 + u16(b, p); // cipher_suites
        if (p + 1 > to) {
            return Result.notTls("ClientHello too short");
        }
        p += 1 + (b[p] & 0xff); // compression_methods
        if (p == to) {
            return new Result(Kind.DONE, null, null); // no extensions at all
        }
        if (p + 2 > to) {
            return Result.notTls("ClientHello too short");
        }
        int extEnd = p + 2 + u16(b, p);
        if (extEnd > to) {
            return Result.notTls("ClientHello extensions overrun the message");
        }
        p += 2;
        while (p + 4 <= extEnd) {
            int type = u16(b, p);
            int len = u16(b, p + 2);
            p += 4;
            if (p + len > extEnd) {
                return Result.notTls("ClientHello extension overruns the message");
            }
            if (type == SERVER_NAME) {
                return hostName(b, p, p + len);
            }
            p += len;
        }
        return new Result(Kind.DONE, null, null);
    }

    private static Result hostName(byte[] b, int p, int end) {
        if (p + 2 > end) {
            return Result.notTls("empty server_name extension");
        }
        int listEnd = Math.min(end, p + 2 + u16(b, p));
        p += 2;
        while (p + 3 <= listEnd) {
            int type = b[p] & 0xff;
            int len = u16(b, p + 1);
            p += 3;
            if (p + len > listEnd) {
                return Result.notTls("server name overruns its extension");
            }
            if (type == HOST_NAME) {
                String name = new String(b, p, len, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                // RFC 6066 forbids the trailing dot, yet some clients send it; it names the same host.
                if (name.endsWith(".")) {
                    name = name.substring(0, name.length() - 1);
                }
                return new Result(Kind.DONE, name, null);
            }
            p += len;
        }
        return new Result(Kind.DONE, null, null);
    }

    private static int u16(byte[] b, int p) {
        return (b[p] & 0xff) << 8 | b[p + 1] & 0xff;
    }
}

package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static dev.portico.netty.OperatorFeaturesTest.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.AcceptProxy;
import dev.portico.api.Cidr;
import dev.portico.api.CloseReason;
import dev.portico.api.HealthCheck;
import dev.portico.api.ProxyProtocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A listener that accepts PROXY headers reads them strictly (HAProxy's doc/proxy-protocol.txt)
 * and refuses a bad one as soon as a byte shows it bad. The header timeout here is ten minutes
 * and a client's read gives up after ten seconds, so a refusal that waits for the timeout fails.
 */
class ProxyHeaderStrictTest extends EngineTestSupport {
    private static final byte[] SIG = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private NettyForwardingEngine engine;
    private TcpServer backend;
    private final LinkedBlockingQueue<ProxyProtocolParser.Header> seen = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws IOException {
        engine = newEngine(Transport.AUTO);
        // Tells the client which source the proxy passed on, then echoes.
        backend = new TcpServer(s -> {
            ProxyProtocolParser.Header h = ProxyProtocolParser.read(s.getInputStream());
            seen.add(h);
            s.getOutputStream().write((h.source() + "\n").getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().transferTo(s.getOutputStream());
        });
        apply(engine, frontend("pp", backend.address()).health(HealthCheck.DEFAULT.withEnabled(false))
                .sendProxy(ProxyProtocol.V1)
                .acceptProxy(AcceptProxy.from(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofMinutes(10))).build());
    }

    @AfterEach
    void stop() throws Exception {
        engine.close(Duration.ofSeconds(1));
        backend.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PROXY TCP4 010.1.2.3 192.0.2.1 5555 443",
        "PROXY TCP4 10.1.2.3 192.0.2.1 05555 443",
        "PROXY TCP4 10.1.2.3 192.0.2.1 +5555 443",
        "PROXY TCP4 10.1.2.3 192.0.2.1 -1 443",
        "PROXY TCP4 10.1.2.256 192.0.2.1 5555 443",
        "PROXY TCP4 10.1.2.3 192.0.2.1 5555 65536",
        "PROXY TCP4 10.1.2 192.0.2.1 5555 443",
        "PROXY TCP4 ::1 192.0.2.1 5555 443",
        "PROXY TCP6 2001:db8:::1 ::1 5555 443",
        "PROXY TCP6 2001:db8::1%eth0 ::1 5555 443",
        "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 5555 443",
        "PROXY TCP6 12345::1 ::1 5555 443",
        "PROXY TCP6 10.1.2.3 ::1 5555 443",
        "PROXY TCP4 10.1.2.3  192.0.2.1 5555 443",
        "PROXY TCP4 10.1.2.3 192.0.2.1 5555 443 ",
        "PROXY UDP4 10.1.2.3 192.0.2.1 5555 443",
        "PROXY UNKNOWNX",
    })
    void v1HeadersWithLeadingZerosSignsOrOutOfRangePartsAreRefused(String line) throws Exception {
        try (Socket s = connect(engine, "pp")) {
            s.getOutputStream().write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertRefused(s, line);
        }
        assertBadHeaderWithoutBackend();
    }

    @Test
    void aV1LineLongerThan107BytesIsRefusedWithoutItsEnd() throws Exception {
        String line = "PROXY UNKNOWN " + "f".repeat(93); // 107 bytes, no CRLF yet
        assertThat(line).hasSize(107);
        try (Socket s = connect(engine, "pp")) {
            s.getOutputStream().write(line.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.getOutputStream().write('\r');
            assertRefused(s, "108th byte of a v1 line");
        }
        assertBadHeaderWithoutBackend();
    }

    @ParameterizedTest
    @ValueSource(strings = {"X", "PROXZ", "PROXY  ", "PROXY TCP5", "\r\n\r\nQ", "PROXY TCP4 1.2.3.4\n"})
    void bytesThatCannotBeAHeaderAreRefusedAtOnce(String start) throws Exception {
        try (Socket s = connect(engine, "pp")) {
            s.getOutputStream().write(start.getBytes(StandardCharsets.ISO_8859_1));
            assertRefused(s, start);
        }
        assertBadHeaderWithoutBackend();
    }

    @Test
    void aClientEofInsideTheHeaderIsABadHeaderAtOnce() throws Exception {
        try (Socket s = connect(engine, "pp")) {
            s.getOutputStream().write("PROXY TCP4 192.0.2".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            assertRefused(s, "EOF in the header");
        }
        assertBadHeaderWithoutBackend();
    }

    @ParameterizedTest
    @ValueSource(ints = {0x12, 0x22, 0x32, 0x10, 0x01, 0x41})
    void aV2HeaderForUdpOrAnUndefinedFamilyIsRefusedOnATcpListener(int familyTransport) throws Exception {
        byte[] addresses = familyTransport >> 4 == 2 ? new byte[36] : new byte[216];
        try (Socket s = connect(engine, "pp")) {
            s.getOutputStream().write(v2(0x21, familyTransport, addresses));
            assertRefused(s, "family/transport " + Integer.toHexString(familyTransport));
        }
        assertBadHeaderWithoutBackend();
    }

    @ParameterizedTest
    @ValueSource(ints = {0x11, 0x22, 0x23})
    void aV2HeaderWithAnotherVersionOrCommandIsRefused(int versionCommand) throws Exception {
        try (Socket s = connect(engine, "pp")) {
            s.getOutputStream().write(v2(versionCommand, 0x11, inet4("203.0.113.9", "192.0.2.1", 40000, 443)));
            assertRefused(s, "version/command " + Integer.toHexString(versionCommand));
        }
        assertBadHeaderWithoutBackend();
    }

    @Test
    void aV2LengthShorterThanItsAddressesIsRefused() throws Exception {
        try (Socket s = connect(engine, "pp")) {
            s.getOutputStream().write(v2(0x21, 0x11, new byte[11]));
            assertRefused(s, "11 address bytes for INET");
        }
        assertBadHeaderWithoutBackend();
    }

    @Test
    void v1HeaderAndPayloadInOneSegmentArriveAsTheClientAndItsBytes() throws Exception {
        String header = "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n";
        assertPassedOn(header.getBytes(StandardCharsets.US_ASCII), false, at("0.0.0.0", 0));
        assertPassedOn("PROXY TCP6 2001:db8::7 ::ffff:192.0.2.1 40000 443\r\n".getBytes(StandardCharsets.US_ASCII),
                false, at("2001:db8::7", 40000));
    }

    @Test
    void headersSplitIntoOneByteWritesWork() throws Exception {
        assertPassedOn("PROXY TCP4 203.0.113.9 192.0.2.1 40000 443\r\n".getBytes(StandardCharsets.US_ASCII), true,
                at("203.0.113.9", 40000));
        assertPassedOn(v2(0x21, 0x11, inet4("203.0.113.10", "192.0.2.1", 40001, 443)), true, at("203.0.113.10", 40001));
    }

    @Test
    void v2TlvsAreSkippedWithinTheDeclaredLength() throws Exception {
        byte[] addr = inet4("203.0.113.11", "192.0.2.1", 40002, 443);
        // PP2_TYPE_AUTHORITY "x.example" and PP2_TYPE_NOOP with 3 bytes of padding.
        byte[] tlvs = {0x02, 0x00, 0x09, 'x', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x04, 0x00, 0x03, 0, 0, 0};
        byte[] body = ByteBuffer.allocate(addr.length + tlvs.length).put(addr).put(tlvs).array();
        assertPassedOn(v2(0x21, 0x11, body), false, at("203.0.113.11", 40002));
    }

    @Test
    void localUnspecUnknownAndUnixHeadersKeepTheRealConnection() throws Exception {
        assertRealEndpoints(v2(0x20, 0x11, inet4("203.0.113.9", "192.0.2.1", 40000, 443)));
        assertRealEndpoints(v2(0x20, 0x12, inet4("203.0.113.9", "192.0.2.1", 40000, 443)));
        assertRealEndpoints(v2(0x21, 0x00, new byte[0]));
        byte[] unix = new byte[216];
        byte[] path = "/run/haproxy.sock".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(path, 0, unix, 0, path.length);
        System.arraycopy(path, 0, unix, 108, path.length);
        assertRealEndpoints(v2(0x21, 0x31, unix));
        assertRealEndpoints("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
        assertRealEndpoints("PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private void assertRealEndpoints(byte[] header) throws Exception {
        try (Socket s = connect(engine, "pp")) {
            send(s, header, false);
            assertEcho(s, (InetSocketAddress) s.getLocalSocketAddress());
        }
    }

    private void assertPassedOn(byte[] header, boolean byteByByte, InetSocketAddress source) throws Exception {
        try (Socket s = connect(engine, "pp")) {
            send(s, header, byteByByte);
            assertEcho(s, source);
        }
    }

    /** Writes the header followed by a payload that looks like a header itself, which must pass untouched. */
    private static void send(Socket s, byte[] header, boolean byteByByte) throws IOException {
        s.setTcpNoDelay(true);
        OutputStream out = s.getOutputStream();
        byte[] all = ByteBuffer.allocate(header.length + PAYLOAD.length).put(header).put(PAYLOAD).array();
        if (!byteByByte) {
            out.write(all);
            return;
        }
        for (byte b : header) {
            out.write(b);
            out.flush();
        }
        out.write(PAYLOAD);
    }

    private static final byte[] PAYLOAD = "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n\0\r\nafter"
            .getBytes(StandardCharsets.US_ASCII);

    private void assertEcho(Socket s, InetSocketAddress source) throws Exception {
        ProxyProtocolParser.Header h = seen.poll(10, TimeUnit.SECONDS);
        assertThat(h).as("header at the backend").isNotNull();
        assertThat(h.source()).isEqualTo(source);
        byte[] expect = (h.source() + "\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(s.getInputStream().readNBytes(expect.length)).isEqualTo(expect);
        assertThat(s.getInputStream().readNBytes(PAYLOAD.length)).isEqualTo(PAYLOAD);
    }

    private void assertBadHeaderWithoutBackend() {
        awaitTrue(() -> closes.size() == 1);
        assertThat(closes).containsExactly(CloseReason.BAD_PROXY_HEADER);
        assertThat(backend.accepted.get()).as("backend contacted").isZero();
    }

    static byte[] v2(int versionCommand, int familyTransport, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIG);
        out.write(versionCommand);
        out.write(familyTransport);
        out.write(body.length >> 8);
        out.write(body.length & 0xff);
        out.writeBytes(body);
        return out.toByteArray();
    }

    static byte[] inet4(String src, String dst, int sport, int dport) throws IOException {
        return ByteBuffer.allocate(12).put(InetAddress.getByName(src).getAddress())
                .put(InetAddress.getByName(dst).getAddress()).putShort((short) sport).putShort((short) dport).array();
    }

    private static InetSocketAddress at(String host, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }
}

package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.DesiredState;
import dev.portico.api.Protocol;
import dev.portico.discovery.file.FileBackendSource;
import dev.portico.netty.NettyForwardingEngine;
import dev.portico.netty.Transport;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file example, read from a real file, forwards DNS queries and answers. */
class UdpDnsExampleTest {

    @TempDir
    Path dir;

    @Test
    void theDnsFileExampleForwardsQueriesAndAnswers() throws Exception {
        try (DatagramSocket dns = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Thread server = new Thread(() -> answerQueries(dns), "dns-backend");
            server.setDaemon(true);
            server.start();
            // The example, with a free port in place of 53 and this test's server for 10.0.0.53.
            Path file = dir.resolve("dns.yaml");
            Files.writeString(file, """
                    apiVersion: v1
                    frontends:
                      - name: dns
                        bind: 127.0.0.1:0
                        protocol: udp
                        idleTimeout: 30s      # a UDP flow ends after this long without a datagram either way
                        backends:
                          - address: 127.0.0.1:%d
                    """.formatted(dns.getLocalPort()));
            FileBackendSource.Contents parsed = FileBackendSource.read(List.of(file));
            assertThat(parsed.problems()).isEmpty();
            assertThat(parsed.frontends().get(0).protocol()).isEqualTo(Protocol.UDP);
            try (NettyForwardingEngine engine = NettyForwardingEngine.builder().transport(Transport.AUTO).ioThreads(1)
                    .build();
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                assertThat(engine.apply(new DesiredState(parsed.frontends())).failures()).isEmpty();
                InetSocketAddress frontend = engine.status().frontend("dns").orElseThrow().boundAddress();
                client.setSoTimeout(10_000);
                for (int id = 1; id <= 5; id++) {
                    byte[] query = query(id, "host" + id + ".example.test");
                    client.send(new DatagramPacket(query, query.length, frontend));
                    byte[] buf = new byte[512];
                    DatagramPacket answer = new DatagramPacket(buf, buf.length);
                    client.receive(answer);
                    ByteBuffer r = ByteBuffer.wrap(buf, 0, answer.getLength());
                    assertThat(r.getShort(0) & 0xffff).isEqualTo(id);
                    assertThat(r.get(2) & 0x80).as("QR: a response").isEqualTo(0x80);
                    assertThat(r.getShort(6)).as("ANCOUNT").isEqualTo((short) 1);
                    byte[] address = Arrays.copyOfRange(buf, answer.getLength() - 4, answer.getLength());
                    assertThat(address).containsExactly(10, 0, 0, id);
                }
                assertThat(engine.status().frontend("dns").orElseThrow().activeConnections()).isEqualTo(1);
            }
        }
    }

    /** A DNS query for an A record. */
    private static byte[] query(int id, String name) {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putShort((short) id).putShort((short) 0x0100).putShort((short) 1).putShort((short) 0).putInt(0);
        for (String label : name.split("\\.")) {
            b.put((byte) label.length()).put(label.getBytes(StandardCharsets.US_ASCII));
        }
        b.put((byte) 0).putShort((short) 1).putShort((short) 1);
        return Arrays.copyOf(b.array(), b.position());
    }

    /** Answers each query with one A record 10.0.0.ID, as a DNS server would (the question echoed). */
    private static void answerQueries(DatagramSocket s) {
        byte[] buf = new byte[512];
        while (!s.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
                ByteBuffer out = ByteBuffer.allocate(p.getLength() + 16);
                out.put(buf, 0, p.getLength());
                out.put(2, (byte) 0x81).put(3, (byte) 0x80).putShort(6, (short) 1);
                out.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(60).putShort((short) 4)
                        .put(new byte[] {10, 0, 0, buf[1]});
                s.send(new DatagramPacket(out.array(), out.position(), p.getSocketAddress()));
            } catch (java.io.IOException e) {
                return;
            }
        }
    }
}

package dev.portico.examples;

import static dev.portico.examples.Launchers.CHANGE;
import static dev.portico.examples.MetricsEndpoint.frontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A UDP frontend as an operator sees it through the launcher jar: {@code /metrics} counts its flows,
 * datagrams and bytes each way and its drops by reason, {@code /status} lists it with its flows, and
 * the access log has one line per ended flow.
 */
class UdpMetricsIT {

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    private final MetricsEndpoint metrics = new MetricsEndpoint();
    private DatagramSocket backend;
    private Thread backendThread;

    /** Answers every datagram twice, each answer "A:" and the request. */
    @BeforeEach
    void startBackend() throws IOException {
        backend = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(Net.HOST), 0));
        backendThread = new Thread(() -> {
            byte[] buf = new byte[65_536];
            while (!backend.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    backend.receive(p);
                    byte[] answer = ("A:" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8);
                    for (int i = 0; i < 2; i++) {
                        backend.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                    }
                } catch (IOException e) {
                    return;
                }
            }
        }, "udp-backend");
        backendThread.setDaemon(true);
        backendThread.start();
    }

    @AfterEach
    void stopBackend() throws InterruptedException {
        backend.close();
        backendThread.join(10_000);
    }

    private static String receive(DatagramSocket s) throws IOException {
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        return new String(buf, 0, p.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void metricsStatusAndAccessLogShowFlowsDatagramsAndDrops() throws Exception {
        int dnsPort = Net.freePort();
        int deniedPort = Net.freePort();
        int backendPort = backend.getLocalPort();
        Path config = dir.resolve("portico.yaml");
        Files.writeString(config, """
                apiVersion: v1
                frontends:
                  - name: dns
                    bind: 127.0.0.1:%d
                    protocol: udp
                    idleTimeout: 1s
                    maxConnections: 1
                    backends:
                      - address: 127.0.0.1:%d
                  - name: closed
                    bind: 127.0.0.1:%d
                    protocol: udp
                    deny: [127.0.0.0/8]
                    backends:
                      - address: 127.0.0.1:%d
                """.formatted(dnsPort, backendPort, deniedPort, backendPort));
        Launchers.Launched router = launchers.portico("router", "-c", config.toString(), "--metrics", metrics.flag());
        metrics.awaitListening("dns", "closed");

        InetSocketAddress dns = new InetSocketAddress(Net.HOST, dnsPort);
        int clientPort;
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(Net.HOST), 0));
             DatagramSocket second = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(Net.HOST), 0));
             DatagramSocket denied = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(Net.HOST), 0))) {
            client.setSoTimeout(10_000);
            clientPort = client.getLocalPort();
            for (String q : new String[] {"one", "three"}) {
                byte[] b = q.getBytes(StandardCharsets.UTF_8);
                client.send(new DatagramPacket(b, b.length, dns));
                assertThat(receive(client)).isEqualTo("A:" + q);
                assertThat(receive(client)).isEqualTo("A:" + q);
            }
            JsonNode open = frontend(metrics.status(), "dns");
            assertThat(open.get("protocol").asText()).isEqualTo("udp");
            assertThat(open.get("udp").get("activeFlows").asLong()).isEqualTo(1);
            // The flow limit of 1 is taken: a second client's datagram is dropped.
            second.send(new DatagramPacket(new byte[] {1}, 1, dns));
            denied.send(new DatagramPacket(new byte[] {2, 3}, 2, new InetSocketAddress(Net.HOST, deniedPort)));
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> {
                PrometheusText m = metrics.metrics();
                return m.value("portico_udp_dropped_datagrams_total", "frontend", "dns", "reason", "flow_limit") == 1
                        && m.value("portico_udp_dropped_datagrams_total", "frontend", "closed", "reason", "denied") == 1;
            });
            PrometheusText m = metrics.metrics();
            assertThat(m.value("portico_udp_flows_active", "frontend", "dns")).isEqualTo(1);
            assertThat(m.value("portico_udp_flows_total", "frontend", "dns")).isEqualTo(1);
            assertThat(m.value("portico_udp_datagrams_total", "frontend", "dns", "direction", "client_to_backend"))
                    .isEqualTo(2);
            assertThat(m.value("portico_udp_datagrams_total", "frontend", "dns", "direction", "backend_to_client"))
                    .isEqualTo(4);
            assertThat(m.value("portico_udp_bytes_total", "frontend", "dns", "direction", "client_to_backend"))
                    .isEqualTo(8);
            assertThat(m.value("portico_udp_bytes_total", "frontend", "dns", "direction", "backend_to_client"))
                    .isEqualTo(2 * (5 + 7));
            for (String reason : new String[] {"no_backend", "denied", "too_large", "send_failure"}) {
                assertThat(m.value("portico_udp_dropped_datagrams_total", "frontend", "dns", "reason", reason))
                        .as(reason).isZero();
            }
            assertThat(m.value("portico_udp_flows_total", "frontend", "closed")).isZero();
            assertThat(m.types()).containsEntry("portico_udp_datagrams_total", "counter")
                    .containsEntry("portico_udp_flows_active", "gauge");
        }

        // The flow ends after its idle second: one access-log line with its payload bytes each way.
        Pattern line = Pattern.compile("INFO  access  client=127\\.0\\.0\\.1:" + clientPort + " frontend=dns backend=127\\.0\\.0\\.1:"
                + backendPort + " duration_ms=\\d+ from_client=8 to_client=24 end=idle_timeout\\n");
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> line.matcher(router.stderr()).find());
        JsonNode ended = frontend(metrics.status(), "dns");
        assertThat(ended.get("activeConnections").asLong()).isZero();
        assertThat(ended.get("totalConnections").asLong()).isEqualTo(1);
        JsonNode udp = ended.get("udp");
        assertThat(udp.get("activeFlows").asLong()).isZero();
        assertThat(udp.get("totalFlows").asLong()).isEqualTo(1);
        assertThat(udp.get("datagramsFromClients").asLong()).isEqualTo(2);
        assertThat(udp.get("datagramsToClients").asLong()).isEqualTo(4);
        assertThat(udp.get("bytesFromClients").asLong()).isEqualTo(8);
        assertThat(udp.get("bytesToClients").asLong()).isEqualTo(24);
        assertThat(udp.get("dropped").get("flowLimit").asLong()).isEqualTo(1);
        assertThat(frontend(metrics.status(), "closed").get("udp").get("dropped").get("denied").asLong()).isEqualTo(1);
        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }
}

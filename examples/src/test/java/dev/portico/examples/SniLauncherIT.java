package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import static dev.portico.examples.Launchers.CHANGE;
import static dev.portico.examples.MetricsEndpoint.frontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example file run by the launcher jar: three names, three backends, one port, with the
 * SNI flags set on the command line. The backends speak no TLS (they greet with their name), so a
 * ClientHello built here is enough to route and shows the forwarded bytes; real TLS both ways is
 * proxy-netty's SniRoutingTest.
 */
class SniLauncherIT {

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    private final MetricsEndpoint metrics = new MetricsEndpoint();
    private final List<TcpServer> backends = new ArrayList<>();

    @BeforeEach
    void startBackends() throws IOException {
        for (String name : List.of("grafana", "apps", "rest")) {
            backends.add(TcpServer.namedEcho(name));
        }
    }

    @AfterEach
    void stopBackends() throws IOException {
        for (TcpServer b : backends) {
            b.close();
        }
    }

    private Path config(int port) throws IOException {
        Path config = dir.resolve("portico.yaml");
        Files.writeString(config, """
                apiVersion: v1
                frontends:
                  - name: grafana
                    bind: 127.0.0.1:%1$d
                    sni: [grafana.example.org]
                    backends:
                      - address: %2$s
                  - name: apps
                    bind: 127.0.0.1:%1$d
                    sni: ["*.apps.example.org"]
                    backends:
                      - address: %3$s
                  - name: everything-else
                    bind: 127.0.0.1:%1$d
                    backends:
                      - address: %4$s
                """.formatted(port, backends.get(0).address(), backends.get(1).address(), backends.get(2).address()));
        return config;
    }

    @Test
    void threeNamesReachThreeBackendsOnOnePortAndTheSniFlagsApply() throws Exception {
        int port = Net.freePort();
        Launchers.Launched router = launchers.portico("router", "-c", config(port).toString(),
                "--metrics", metrics.flag(), "--sni-hello-timeout", "300ms", "--sni-non-tls", "catch-all");
        metrics.awaitListening("grafana", "apps", "everything-else");

        assertThat(greetingFor(port, hello("grafana.example.org"))).isEqualTo("grafana");
        assertThat(greetingFor(port, hello("X.Apps.Example.org"))).isEqualTo("apps");
        assertThat(greetingFor(port, hello("other.example.org"))).isEqualTo("rest");
        // --sni-non-tls catch-all: plain text goes to the frontend without sni.
        assertThat(greetingFor(port, "PING\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo("rest");

        // --sni-hello-timeout 300ms: half a ClientHello is closed long before the default 10 s, and counted.
        try (Socket s = new Socket(Net.HOST, port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(new byte[]{22, 3, 1, 0, 100, 1});
            s.getOutputStream().flush();
            expectClosed(s.getInputStream());
        }
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> metrics.metrics().samples()
                .stream().anyMatch(x -> x.name().equals("portico_sni_unrouted_total") && x.value() == 1
                        && ("127.0.0.1:" + port).equals(x.labels().get("bind"))));

        JsonNode status = metrics.status();
        assertThat(frontend(status, "grafana").get("sni").get(0).asText()).isEqualTo("grafana.example.org");
        assertThat(frontend(status, "everything-else").has("sni")).isFalse();
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> router.stderr()
                .contains(" frontend=apps sni=x.apps.example.org backend=" + backends.get(1).address()));
    }

    /** Sends {@code first}, then reads the backend's greeting line. */
    static String greetingFor(int port, byte[] first) throws IOException {
        try (Socket s = new Socket(Net.HOST, port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(first);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                assertThat(b).as("closed before a greeting").isNotEqualTo(-1);
                line.write(b);
            }
            return line.toString(StandardCharsets.UTF_8);
        }
    }

    private static void expectClosed(InputStream in) throws IOException {
        try {
            assertThat(in.read()).isEqualTo(-1);
        } catch (SocketException reset) {
            // A reset is a close too.
        }
    }

    /** A minimal TLS 1.2 ClientHello record naming {@code name}: all routing reads. */
    static byte[] hello(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(3);
        body.writeBytes(new byte[32]);
        body.write(0);
        body.writeBytes(new byte[]{0, 2, 0x13, 0x01, 1, 0});
        u16(body, n.length + 9);
        u16(body, 0);
        u16(body, n.length + 5);
        u16(body, n.length + 3);
        body.write(0);
        u16(body, n.length);
        body.writeBytes(n);
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes(new byte[]{22, 3, 1});
        u16(record, body.size() + 4);
        record.write(1);
        record.write(0);
        u16(record, body.size());
        record.writeBytes(body.toByteArray());
        return record.toByteArray();
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }
}

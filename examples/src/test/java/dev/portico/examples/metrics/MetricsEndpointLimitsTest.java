package dev.portico.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a client on the LAN can do to the metrics endpoint, over real sockets: hold connections
 * open, send half a request, send a body, an unknown method, lines too long. Monitoring keeps its
 * answers; the misbehaving client gets a status or a close.
 */
class MetricsEndpointLimitsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final PorticoMetrics metrics = new PorticoMetrics();
    private final List<RawHttp> clients = new ArrayList<>();
    private MetricsServer server;

    private int start(MetricsServer.Limits limits) throws IOException {
        server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), metrics, limits);
        return server.address().getPort();
    }

    private int start() throws IOException {
        return start(MetricsServer.Limits.DEFAULT);
    }

    private RawHttp connect(int port) throws IOException {
        RawHttp c = new RawHttp(port);
        clients.add(c);
        return c;
    }

    @AfterEach
    void stop() throws IOException {
        for (RawHttp c : clients) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
        metrics.close();
    }

    @Test
    void clientsThatNeverFinishTheirHeadersDoNotDelayOthersAndAreClosedAfterTheHeadTimeout() throws Exception {
        int port = start(new MetricsServer.Limits(Duration.ofSeconds(2), Duration.ofSeconds(60),
                Duration.ofSeconds(60), 64, 4, 8192));
        List<RawHttp> slow = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slow.add(connect(port).send("GET /metrics HTTP/1.1\r\nHost: test\r\n"));
        }
        try (RawHttp monitor = new RawHttp(port)) {
            RawHttp.Response health = monitor.get("/healthz");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("ok\n");
            assertThat(monitor.get("/metrics").status()).isEqualTo(200);
            assertThat(monitor.get("/status").status()).isEqualTo(503);
        }
        for (RawHttp s : slow) {
            assertThat(s.closedByServer()).as("a slow client is closed, not answered").isTrue();
        }
    }

    @Test
    void headGetsTheHeadersOfGetAndNoBody() throws Exception {
        int port = start();
        RawHttp c = connect(port);
        RawHttp.Response head = c.send("HEAD /metrics HTTP/1.1\r\nHost: test\r\n\r\n").read(true);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(head.header("Transfer-Encoding")).isEqualTo("chunked");
        // Had a body (or a chunk terminator) followed, this would read it instead of the next status line.
        RawHttp.Response next = c.get("/healthz");
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("ok\n");
        RawHttp.Response headHealth = c.send("HEAD /healthz HTTP/1.1\r\nHost: test\r\n\r\n").read(true);
        assertThat(headHealth.header("Content-Length")).isEqualTo("3");
        assertThat(c.get("/healthz").body()).isEqualTo("ok\n");
    }

    @Test
    void aLargeRequestBodyIs413AndTheConnectionIsClosed() throws Exception {
        int port = start();
        RawHttp c = connect(port);
        c.send("POST /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 1048576\r\n\r\n");
        // The answer comes on the head alone; the megabyte is never read.
        RawHttp.Response r = c.read(false);
        assertThat(r.status()).isEqualTo(413);
        assertThat(c.closedByServer()).isTrue();
    }

    @Test
    void anUnknownMethodIs405NamingTheAllowedOnes() throws Exception {
        int port = start();
        RawHttp c = connect(port);
        RawHttp.Response r = c.send("BREW /metrics HTTP/1.1\r\nHost: test\r\n\r\n").read(false);
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("Allow")).isEqualTo("GET, HEAD");
        assertThat(c.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void tooLongOrMalformedRequestsGetTheirStatus() throws Exception {
        int port = start();
        assertThat(connect(port).get("/metrics?" + "x".repeat(10_000)).status()).isEqualTo(414);
        assertThat(connect(port).send("GET /metrics HTTP/1.1\r\nHost: test\r\nX-Big: " + "y".repeat(20_000)
                + "\r\n\r\n").read(false).status()).isEqualTo(431);
        assertThat(connect(port).send("GET /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: many\r\n\r\n")
                .read(false).status()).isEqualTo(400);
    }

    @Test
    void pastTheConnectionLimitNewConnectionsAreClosedWhileOpenOnesAreServed() throws Exception {
        int port = start(new MetricsServer.Limits(Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(60), 2, 4, 8192));
        RawHttp first = connect(port);
        RawHttp second = connect(port);
        assertThat(first.get("/healthz").status()).isEqualTo(200);
        assertThat(second.get("/healthz").status()).isEqualTo(200);

        RawHttp third = connect(port);
        third.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
        assertThat(third.closedByServer()).as("the third connection").isTrue();
        assertThat(first.get("/healthz").status()).isEqualTo(200);

        first.close();
        await().atMost(WAIT).untilAsserted(() -> {
            try (RawHttp again = new RawHttp(port)) {
                assertThat(again.get("/healthz").status()).isEqualTo(200);
            }
        });
        assertThat(second.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        int port = start(new MetricsServer.Limits(Duration.ofSeconds(10), Duration.ofSeconds(1),
                Duration.ofSeconds(60), 64, 4, 8192));
        RawHttp c = connect(port);
        assertThat(c.get("/healthz").status()).isEqualTo(200);
        assertThat(c.closedByServer()).isTrue();
    }

    @Test
    void anHttp10ClientGetsTheStreamedBodyEndedByTheClose() throws Exception {
        int port = start();
        RawHttp c = connect(port);
        RawHttp.Response r = c.send("GET /metrics HTTP/1.0\r\n\r\n").read(true);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Transfer-Encoding")).isNull();
        String body = new String(c.rest(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(dev.portico.examples.PrometheusText.parse(body).sampleNames()).contains("jvm_memory_used_bytes");
    }
}

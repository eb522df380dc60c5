package dev.portico.examples.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's HTTP endpoint: {@code GET /metrics} (Prometheus text format), {@code GET /status}
 * (JSON), {@code GET /healthz} ({@code ok}). Anything else is 404, another method 405. It runs on
 * the JDK's HTTP server with two threads of its own, so a slow scraper never touches an event loop.
 */
public final class MetricsServer implements AutoCloseable {

    /** The Prometheus text exposition format's content type. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String JSON = "application/json";
    private static final Logger log = LoggerFactory.getLogger("portico.metrics");

    private final HttpServer server;
    private final ExecutorService threads;
    private final PorticoMetrics metrics;

    private MetricsServer(HttpServer server, ExecutorService threads, PorticoMetrics metrics) {
        this.server = server;
        this.threads = threads;
        this.metrics = metrics;
    }

    /**
     * Binds {@code address} and starts serving.
     *
     * @throws IOException when the address cannot be bound (in use, not local, permission denied)
     */
    public static MetricsServer start(InetSocketAddress address, PorticoMetrics metrics) throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        AtomicInteger n = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "portico-metrics-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        MetricsServer ms = new MetricsServer(server, threads, metrics);
        server.createContext("/", ms::handle);
        server.start();
        return ms;
    }

    /** The address actually bound (the port is known here when port 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/metrics") && !path.equals("/status") && !path.equals("/healthz")) {
                send(exchange, 404, TEXT, "not found; try /metrics, /status or /healthz\n");
                return;
            }
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                send(exchange, 405, TEXT, "method not allowed; use GET\n");
                return;
            }
            try {
                switch (path) {
                    case "/metrics" -> send(exchange, 200, PROMETHEUS_TEXT, metrics.scrape());
                    case "/status" -> {
                        byte[] status = metrics.statusJson();
                        if (status == null) {
                            send(exchange, 503, TEXT, "starting\n");
                        } else {
                            send(exchange, 200, JSON, status);
                        }
                    }
                    default -> send(exchange, 200, TEXT, "ok\n");
                }
            } catch (RuntimeException e) {
                log.warn("{} failed: {}", path, e.toString());
                send(exchange, 500, TEXT, "internal error: " + e + "\n");
            }
        }
    }

    private static void send(HttpExchange exchange, int code, String type, String body) throws IOException {
        send(exchange, code, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int code, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        // A HEAD request (answered 405) must announce no body.
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(code, body.length == 0 || head ? -1 : body.length);
        if (body.length > 0 && !head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops serving at once; a scrape in progress is cut. */
    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}

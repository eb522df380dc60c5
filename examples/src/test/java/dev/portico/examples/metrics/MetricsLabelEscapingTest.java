package dev.portico.examples.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Backend;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Label values as scraped: names with control or bidi characters cannot break or disguise a series. */
class MetricsLabelEscapingTest {

    @Test
    void controlAndBidiCharactersInLabelValuesAreEscapedOnTopOfPrometheusEscaping() throws Exception {
        try (PorticoMetrics metrics = new PorticoMetrics()) {
            String name = "web\n\u202E\"x\\";
            ConnectionInfo c = new ConnectionInfo(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), 1),
                    new Backend("nas\u2066.lan", 22), 0);
            metrics.events().onConnectionOpened(c);
            metrics.events().onConnectionClosed(c, 1, 2, 3, CloseReason.NO_DESCRIPTORS);
            String text = metrics.scrape();
            assertThat(text).doesNotContain("\u202E", "\u2066");
            // LogSafe escapes the newline, the bidi override and the backslash; the text format then escapes \ and ".
            String label = "frontend=\"web\\\\u000A\\\\u202E\\\"x\\\\\\\\\"";
            assertThat(text).contains("portico_connections_closed_total{" + label + ",reason=\"no_descriptors\"} 1.0");
            assertThat(text).contains("portico_backend_connections_total{backend=\"nas\\\\u2066.lan:22\"," + label
                    + "} 1.0");
        }
    }
}

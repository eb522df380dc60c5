package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.Backend;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The access log line: one logfmt line per ended connection. */
class AccessLogEventsTest {

    @Test
    void lineNamesClientFrontendBackendDurationBytesAndHowItEnded() throws Exception {
        ConnectionInfo c = new ConnectionInfo("web", new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 51234),
                new Backend("10.0.0.5", 443), 0);
        assertThat(AccessLogEvents.line(c, 512, 2048, 1234, CloseReason.CLIENT_CLOSED)).isEqualTo(
                "client=192.0.2.7:51234 frontend=web backend=10.0.0.5:443 duration_ms=1234 from_client=512 "
                        + "to_client=2048 end=client_closed");
    }

    @Test
    void aConnectionRoutedByServerNameNamesIt() throws Exception {
        ConnectionInfo c = new ConnectionInfo("grafana", new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 5),
                new Backend("10.0.0.5", 443), 0, "grafana.example.org");
        assertThat(AccessLogEvents.line(c, 1, 2, 3, CloseReason.CLIENT_CLOSED)).isEqualTo(
                "client=192.0.2.7:5 frontend=grafana sni=grafana.example.org backend=10.0.0.5:443 duration_ms=3"
                        + " from_client=1 to_client=2 end=client_closed");
    }

    @Test
    void ipv6IsBracketedAndARefusedConnectionHasNoBackend() throws Exception {
        ConnectionInfo c = new ConnectionInfo(":443", new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 40000),
                null, 0);
        assertThat(AccessLogEvents.line(c, 0, 0, 1, CloseReason.DENIED)).isEqualTo(
                "client=[2001:db8::7]:40000 frontend=:443 backend=- duration_ms=1 from_client=0 to_client=0 end=denied");
    }

    @Test
    void frontendNamesWithSpacesOrQuotesAreQuoted() throws Exception {
        ConnectionInfo c = new ConnectionInfo("my \"nas\"", new InetSocketAddress(InetAddress.getByName("10.1.1.1"), 1),
                new Backend("nas.lan", 22), 0);
        assertThat(AccessLogEvents.line(c, 1, 2, 3, CloseReason.IDLE_TIMEOUT))
                .contains("frontend=\"my \\\"nas\\\"\" backend=nas.lan:22", "end=idle_timeout");
    }

    @Test
    void everyCloseReasonHasItsLowerCaseName() {
        assertThat(java.util.Arrays.stream(CloseReason.values()).map(dev.portico.examples.metrics.MetricsEvents::label))
                .containsExactly("client_closed", "backend_closed", "idle_timeout", "reset", "no_backend", "shutdown",
                        "denied", "limit", "bad_proxy_header", "loop", "no_descriptors");
    }

    @Test
    void controlAndBidiCharactersInNamesAreEscapedNotPrinted() throws Exception {
        ConnectionInfo c = new ConnectionInfo("web\nclient=6.6.6.6 end=client_closed\u202Eevil\u0085",
                new InetSocketAddress(InetAddress.getByName("10.1.1.1"), 1), new Backend("n\u2066as\\lan", 22), 0);
        String line = AccessLogEvents.line(c, 1, 2, 3, CloseReason.NO_DESCRIPTORS);
        assertThat(line).isEqualTo("client=10.1.1.1:1 frontend=\"web\\u000Aclient=6.6.6.6 end=client_closed"
                + "\\u202Eevil\\u0085\" backend=\"n\\u2066as\\\\lan:22\" duration_ms=3 from_client=1 to_client=2"
                + " end=no_descriptors");
        assertThat(line).doesNotContain("\n", "\u202E", "\u2066", "\u0085");
    }
}

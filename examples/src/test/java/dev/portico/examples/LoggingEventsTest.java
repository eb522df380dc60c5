package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portico.api.ApplyResult;
import dev.portico.api.ApplyResult.Change;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.SourceError;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The operator log's event listener. */
class LoggingEventsTest {

    @Test
    void aConnectFailureWithoutABackendIsNoError() {
        // The engine reports "no healthy backend" as a connect failure without a backend.
        LoggingEvents events = new LoggingEvents(Logging.logger("test"));
        assertThatCode(() -> events.onConnectFailed("web", null, "no healthy backend")).doesNotThrowAnyException();
    }

    @Test
    void controlAndBidiCharactersFromNamesAreEscapedInEveryLine() throws Exception {
        ListAppender<ILoggingEvent> lines = capture("portico.test-escape", "portico.conn");
        LoggingEvents events = new LoggingEvents(Logging.logger("test-escape"));
        String name = "web\n12:00:00.000 INFO  router - frontend admin: listening\u202Etxt.exe\u009b";
        BindAddress bind = BindAddress.host("127.0.0.1", 0);
        Backend backend = new Backend("nas\u2067.lan", 22);
        events.onConfigApplied(new ApplyResult(List.of(new Change(ChangeKind.BACKEND_ADDED, name, bind,
                backend.toString())), List.of()));
        events.onListenerFailed(name, bind, "bind failed\r\nfake");
        events.onConfigRejected(new SourceError("file", "f.yaml:3:9", "bad name '\u202Ex'"));
        ConnectionInfo c = new ConnectionInfo(name, new InetSocketAddress(InetAddress.getLoopbackAddress(), 1),
                backend, 0);
        events.onConnectionOpened(c);
        events.onConnectionClosed(c, 1, 2, 3, CloseReason.CLIENT_CLOSED);
        events.onConnectFailed(name, backend, "refused");
        events.onConnectionRefused(name, c.client(), "denied");
        assertThat(lines.list).hasSize(7);
        for (ILoggingEvent e : lines.list) {
            String m = e.getFormattedMessage();
            assertThat(m).as(m).doesNotContain("\n", "\r", "\u202E", "\u2067", "\u009b");
        }
        assertThat(lines.list.get(0).getFormattedMessage()).startsWith(
                "frontend web\\u000A12:00:00.000 INFO  router - frontend admin: listening\\u202Etxt.exe\\u009B")
                .endsWith("backend nas\\u2067.lan:22 added");
        assertThat(lines.list.get(2).getFormattedMessage()).isEqualTo("f.yaml:3:9: bad name '\\u202Ex'");
    }

    private static ListAppender<ILoggingEvent> capture(String... loggers) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        for (String name : loggers) {
            Logger l = (Logger) LoggerFactory.getLogger(name);
            l.setLevel(Level.DEBUG);
            l.addAppender(appender);
        }
        return appender;
    }
}

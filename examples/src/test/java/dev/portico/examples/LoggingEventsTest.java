package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.portico.api.ApplyResult;
import dev.portico.api.ApplyResult.Change;
import dev.portico.api.ApplyResult.ChangeKind;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.SourceError;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.Charset;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

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
        PrintStream stderr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, Charset.defaultCharset()));
        List<String> lines;
        try {
            lines = messages(err::toString, "portico.test-escape", "portico.conn");
        } finally {
            System.setErr(stderr);
        }
        assertThat(lines).hasSize(7);
        for (String m : lines) {
            assertThat(m).as(m).doesNotContain("\n", "\r", "\u202E", "\u2067", "\u009b");
        }
        assertThat(lines.get(0)).startsWith(
                "frontend web\\u000A12:00:00.000 INFO  router - frontend admin: listening\\u202Etxt.exe\\u009B")
                .endsWith("backend nas\\u2067.lan:22 added");
        assertThat(lines.get(2)).isEqualTo("f.yaml:3:9: bad name '\\u202Ex'");
    }

    /** Logs one of each event at DEBUG and returns the messages of the lines it wrote to stderr. */
    private static List<String> messages(Supplier<String> stderr, String... loggers) throws Exception {
        LineLoggerFactory factory = (LineLoggerFactory) LoggerFactory.getILoggerFactory();
        for (String name : loggers) {
            factory.setLevel(name, Level.DEBUG);
        }
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
        // The line format: time, level, component (test-escape, conn), message.
        Pattern line = Pattern.compile(
                "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (?:TRACE|DEBUG|INFO |WARN |ERROR) (?:test-escape|conn   ) (.*)");
        return stderr.get().lines().map(line::matcher).filter(Matcher::matches).map(m -> m.group(1)).toList();
    }
}

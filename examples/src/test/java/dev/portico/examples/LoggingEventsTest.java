package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/** The operator log's event listener. */
class LoggingEventsTest {

    @Test
    void aConnectFailureWithoutABackendIsNoError() {
        // The engine reports "no healthy backend" as a connect failure without a backend.
        LoggingEvents events = new LoggingEvents(Logging.logger("test"));
        assertThatCode(() -> events.onConnectFailed("web", null, "no healthy backend")).doesNotThrowAnyException();
    }
}

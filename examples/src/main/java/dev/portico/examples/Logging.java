package dev.portico.examples;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets log levels from {@link LoggingOptions#level()}. The format and the defaults live in
 * {@link LogConfigurator}; this only moves the thresholds. Portico's own loggers ({@code dev.portico.*}
 * and the launcher's {@code portico.*}) and everyone else's (Netty, Jackson) move one step apart,
 * so {@code -v} shows Portico's debug messages without Netty's.
 */
final class Logging {

    /** Logger name prefix of the launcher's own loggers; the log shows the part after it. */
    static final String PREFIX = "portico.";

    private Logging() {
    }

    static Logger logger(String component) {
        return LoggerFactory.getLogger(PREFIX + component);
    }

    /** @param verbosity -1 quiet, 0 normal, 1 {@code -v}, 2 {@code -vv} */
    static void configure(int verbosity) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext ctx)) {
            return; // Another SLF4J backend is in charge (an embedding application's).
        }
        Level own = switch (verbosity) {
            case -1 -> Level.WARN;
            case 0 -> Level.INFO;
            case 1 -> Level.DEBUG;
            default -> Level.TRACE;
        };
        Level others = switch (verbosity) {
            case -1, 0 -> Level.WARN;
            case 1 -> Level.INFO;
            default -> Level.DEBUG;
        };
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(others);
        ctx.getLogger("dev.portico").setLevel(own);
        ctx.getLogger("portico").setLevel(own);
    }
}

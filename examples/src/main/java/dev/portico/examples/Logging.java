package dev.portico.examples;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Sets log levels from {@link LoggingOptions#level()}. The format and the defaults live in
 * {@link LineLoggerFactory}; this only moves the thresholds. Portico's own loggers ({@code dev.portico.*}
 * and the launcher's {@code portico.*}) and everyone else's (Netty, Jackson) move one step apart,
 * so {@code -v} shows Portico's debug messages without Netty's.
 */
final class Logging {

    /** Logger name prefix of the launcher's own loggers; the log shows the part after it. */
    static final String PREFIX = "portico.";

    /** The logger of fabric8's informer list-and-watch loop. */
    static final String FABRIC8_REFLECTOR = "io.fabric8.kubernetes.client.informers.impl.cache.Reflector";

    private Logging() {
    }

    static Logger logger(String component) {
        return LoggerFactory.getLogger(PREFIX + component);
    }

    /**
     * Writes out what the access log's queue still holds; for the very end of the process, since
     * {@code Runtime.halt} and {@code System.exit} do not wait for its writer thread.
     */
    static void flush() {
        if (LoggerFactory.getILoggerFactory() instanceof LineLoggerFactory factory) {
            factory.flush();
        }
    }

    /** @param verbosity -1 quiet, 0 normal, 1 {@code -v}, 2 {@code -vv} */
    static void configure(int verbosity) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LineLoggerFactory lines)) {
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
        lines.setLevel(Logger.ROOT_LOGGER_NAME, others);
        lines.setLevel("dev.portico", own);
        lines.setLevel("portico", own);
        // fabric8's informer logs every failed list or watch retry at WARN with a stack trace;
        // the Kubernetes source says the same in one line ("cannot reach the Kubernetes API at ...")
        // and once more when it is back. Its stack traces are for -vv.
        lines.setLevel(FABRIC8_REFLECTOR, verbosity >= 2 ? null : Level.ERROR);
    }
}

package dev.portico.examples;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The launcher's logging, set up in code (found by logback through {@code META-INF/services}; no XML
 * to parse at start): one line per message on stderr, UTC timestamps, a short component name.
 * <pre>2026-11-26T08:40:01.123Z INFO  router  frontend web (:443): listening on 0.0.0.0:443</pre>
 * Portico's loggers start at INFO, everyone else's at WARN; {@link Logging#configure} moves both
 * for {@code -v}/{@code -q}. The access log ({@code portico.access}) goes to the same stderr through
 * an {@link AsyncAppender}. Starting the JVM with {@code -Dlogback.configurationFile=FILE} replaces
 * all of this with that file.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level %-7component %msg%n";
    /** Access-log lines that may wait for stderr before new ones are dropped. */
    static final int ACCESS_QUEUE = 4096;

    @Override
    @SuppressWarnings("unchecked")
    public ExecutionStatus configure(LoggerContext ctx) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        Map<String, String> rules = (Map<String, String>) ctx.getObject(ch.qos.logback.core.CoreConstants.PATTERN_RULE_REGISTRY);
        if (rules == null) {
            rules = new HashMap<>();
            ctx.putObject(ch.qos.logback.core.CoreConstants.PATTERN_RULE_REGISTRY, rules);
        }
        rules.put("component", ComponentConverter.class.getName());

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN);
        encoder.start();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(ctx);
        stderr.setName("stderr");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(stderr);
        root.setLevel(Level.WARN);
        ctx.getLogger("dev.portico").setLevel(Level.INFO);
        ctx.getLogger("portico").setLevel(Level.INFO);

        // The access log is written on I/O threads: through a queue, dropping lines rather than
        // blocking when stderr cannot keep up. The other loggers write at once (they are rare).
        AsyncAppender access = new AsyncAppender();
        access.setContext(ctx);
        access.setName("access-async");
        access.setQueueSize(ACCESS_QUEUE);
        access.setDiscardingThreshold(0); // keep INFO lines until the queue is full
        access.setNeverBlock(true);
        access.setIncludeCallerData(false);
        access.addAppender(stderr);
        access.start();
        ch.qos.logback.classic.Logger accessLogger = ctx.getLogger(AccessLogEvents.LOGGER);
        accessLogger.setAdditive(false);
        accessLogger.addAppender(access);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}

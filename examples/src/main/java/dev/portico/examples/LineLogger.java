package dev.portico.examples;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** One logger of {@link LineLoggerFactory}; its threshold moves when the factory's levels do. */
final class LineLogger extends LegacyAbstractLogger {

    private static final long serialVersionUID = 1L;

    private final transient LineLoggerFactory factory;
    final String component;
    final boolean access;
    /** {@link Level#toInt()} of the lowest level written; set by the factory under its lock. */
    volatile int threshold;

    LineLogger(String name, LineLoggerFactory factory, int threshold) {
        this.name = name;
        this.factory = factory;
        this.component = ComponentConverter.component(name);
        this.access = name.equals(AccessLogEvents.LOGGER) || name.startsWith(AccessLogEvents.LOGGER + ".");
        this.threshold = threshold;
    }

    @Override
    public boolean isTraceEnabled() {
        return threshold <= Level.TRACE.toInt();
    }

    @Override
    public boolean isDebugEnabled() {
        return threshold <= Level.DEBUG.toInt();
    }

    @Override
    public boolean isInfoEnabled() {
        return threshold <= Level.INFO.toInt();
    }

    @Override
    public boolean isWarnEnabled() {
        return threshold <= Level.WARN.toInt();
    }

    @Override
    public boolean isErrorEnabled() {
        return threshold <= Level.ERROR.toInt();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                                               Throwable throwable) {
        String message = args == null || args.length == 0 ? pattern : MessageFormatter.basicArrayFormat(pattern, args);
        factory.write(this, level, message, throwable);
    }
}

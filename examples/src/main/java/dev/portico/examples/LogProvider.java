package dev.portico.examples;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The launcher's SLF4J backend (found through {@code META-INF/services}): {@link LineLoggerFactory}'s
 * fixed one-line format. A general backend (logback) loaded some 240 classes more at every start of
 * a router that writes a handful of lines; see benchmarks/README.md, "Router-box footprint".
 */
public final class LogProvider implements SLF4JServiceProvider {

    private LineLoggerFactory factory;
    private IMarkerFactory markers;
    private MDCAdapter mdc;

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        factory = new LineLoggerFactory();
        markers = new BasicMarkerFactory();
        mdc = new NOPMDCAdapter(); // the format has no MDC
    }
}

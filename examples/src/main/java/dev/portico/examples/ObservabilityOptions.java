package dev.portico.examples;

import dev.portico.api.BindAddress;
import dev.portico.api.InvalidConfigException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --metrics} and {@code --access-log}: what a running proxy tells its operator besides its
 * log. A command that builds a source with a watch state (Kubernetes) registers it here with
 * {@link #watchState} before {@link ProxyRuntime#start}, so the metrics and {@code /status} show it.
 */
public final class ObservabilityOptions {

    @Option(names = "--metrics", paramLabel = "ADDR:PORT", converter = BindConverter.class,
            description = "Serve HTTP on this address (written as a frontend's bind: :9090, 127.0.0.1:9090, "
                    + "[::1]:9090, @eth1:9090) with Prometheus metrics at /metrics, a JSON status at /status and "
                    + "/healthz. Off by default.")
    BindAddress metrics;

    @Option(names = "--access-log", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Log one line per closed connection (logger portico.access; default: on). "
                    + "--no-access-log turns it off; -q silences it with the other INFO lines.")
    boolean accessLog = true;

    private final Map<String, Supplier<String>> watchStates = new LinkedHashMap<>();

    /**
     * Exports a source's watch state as {@code portico_source_watch_state{source,state}} and in
     * {@code /status}; e.g. {@code watchState(kube.name(), () -> kube.watchState().name())}. The
     * supplier is read at every scrape, so it must be cheap and must not block.
     */
    public void watchState(String source, Supplier<String> state) {
        watchStates.put(Objects.requireNonNull(source, "source"), Objects.requireNonNull(state, "state"));
    }

    Map<String, Supplier<String>> watchStates() {
        return Map.copyOf(watchStates);
    }

    /** Reads {@code --metrics} as a bind address, with its parse error as the message. */
    static final class BindConverter implements ITypeConverter<BindAddress> {
        @Override
        public BindAddress convert(String value) {
            try {
                return BindAddress.parse(value);
            } catch (InvalidConfigException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}

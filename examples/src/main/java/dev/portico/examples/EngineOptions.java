package dev.portico.examples;

import dev.portico.netty.Transport;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** The flags of every command that runs a forwarding engine ({@code router}, {@code demo}). */
public final class EngineOptions {

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "auto",
            converter = TransportConverter.class, completionCandidates = TransportNames.class,
            description = "I/O transport: ${COMPLETION-CANDIDATES}. Default ${DEFAULT-VALUE}: epoll where it "
                    + "loads (Linux x86_64 and aarch64), else nio; io_uring only when asked for.")
    Transport transport = Transport.AUTO;

    @Spec(Spec.Target.MIXEE)
    private CommandSpec mixee;

    int ioThreads;

    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "0",
            description = "I/O threads; 0 (the default) means one per CPU.")
    void ioThreads(int n) {
        if (n < 0) {
            throw new ParameterException(mixee.commandLine(), "Invalid value for option '--io-threads': "
                    + n + " is negative (0 means one per CPU)");
        }
        ioThreads = n;
    }

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = Durations.class,
            description = "On SIGTERM/Ctrl-C, how long open connections may run on before they are cut "
                    + "(default: ${DEFAULT-VALUE}; e.g. 250ms, 10s, 1m).")
    Duration drainTimeout = Duration.ofSeconds(30);

    /** Reads a transport name, naming the allowed ones when it is wrong. */
    static final class TransportConverter implements ITypeConverter<Transport> {
        @Override
        public Transport convert(String value) {
            try {
                return Transport.fromName(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a transport (one of: auto, epoll, io_uring, nio)");
            }
        }
    }

    /** The transport names for help and shell completion. */
    static final class TransportNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("auto", "epoll", "io_uring", "nio").iterator();
        }
    }
}

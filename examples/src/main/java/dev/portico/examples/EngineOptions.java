package dev.portico.examples;

import dev.portico.api.Cidr;
import dev.portico.api.InvalidConfigException;
import dev.portico.netty.Transport;
import java.time.Duration;
import java.util.ArrayList;
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

    @Option(names = "--allow", paramLabel = "CIDR", split = ",", converter = CidrConverter.class,
            description = "Serve only these clients on every frontend without an allow list of its own "
                    + "(e.g. --allow 192.168.0.0/16 for home LAN only; IPv4 or IPv6; repeatable or "
                    + "comma-separated). Default: everyone.")
    List<Cidr> allow = new ArrayList<>();

    @Option(names = "--deny", paramLabel = "CIDR", split = ",", converter = CidrConverter.class,
            description = "Refuse these clients on every frontend, in addition to each frontend's own deny "
                    + "list (repeatable or comma-separated).")
    List<Cidr> deny = new ArrayList<>();

    /** {@code null} when not given: the engine derives it from the file descriptor limit. */
    Integer maxConnections;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "At most N client connections open at once over all frontends; more are refused "
                    + "at once. 0 means no limit. Default: (file descriptor limit - reserve) / 2, so nothing "
                    + "can exhaust the descriptors.")
    void maxConnections(int n) {
        if (n < 0) {
            throw new ParameterException(mixee.commandLine(), "Invalid value for option '--max-connections': "
                    + n + " is negative (0 means no limit)");
        }
        maxConnections = n;
    }

    @Option(names = "--freebind",
            description = "Listen on addresses this machine does not hold yet (IP_FREEBIND), so a standby "
                    + "router already listens on the floating address keepalived/VRRP moves to it. epoll or "
                    + "io_uring only (the start fails on nio).")
    boolean freebind;

    Duration sniHelloTimeout = Duration.ofSeconds(10);

    @Option(names = "--sni-hello-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = Durations.class,
            description = "On a port shared by TLS server name (sni), how long a client may take to send its whole "
                    + "ClientHello before it is closed (default: ${DEFAULT-VALUE}).")
    void sniHelloTimeout(Duration d) {
        if (d.isZero()) {
            throw new ParameterException(mixee.commandLine(), "Invalid value for option '--sni-hello-timeout': "
                    + "0 would close every connection; give a positive duration such as 10s");
        }
        sniHelloTimeout = d;
    }

    int sniHelloMaxSize = 16 * 1024;

    @Option(names = "--sni-hello-max-size", paramLabel = "BYTES", defaultValue = "16384",
            description = "On a port shared by TLS server name, the largest ClientHello (with its record "
                    + "headers) read before routing; larger ones are closed (default: ${DEFAULT-VALUE}, "
                    + "512 to 1048576).")
    void sniHelloMaxSize(int n) {
        if (n < 512 || n > 1024 * 1024) {
            throw new ParameterException(mixee.commandLine(), "Invalid value for option '--sni-hello-max-size': "
                    + n + " is outside 512..1048576 bytes");
        }
        sniHelloMaxSize = n;
    }

    boolean sniNonTlsToCatchAll;

    @Option(names = "--sni-non-tls", paramLabel = "WHERE", defaultValue = "close",
            completionCandidates = NonTlsChoices.class,
            description = "On a port shared by TLS server name, what happens to a client that does not speak "
                    + "TLS: close (the default) or catch-all (forwarded untouched to the frontend without sni "
                    + "on that port; closed where there is none).")
    void sniNonTls(String where) {
        switch (where) {
            case "close" -> sniNonTlsToCatchAll = false;
            case "catch-all" -> sniNonTlsToCatchAll = true;
            default -> throw new ParameterException(mixee.commandLine(), "Invalid value for option '--sni-non-tls': '"
                    + where + "' (one of: close, catch-all)");
        }
    }

    /** The choices of {@code --sni-non-tls}, for help and shell completion. */
    static final class NonTlsChoices implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("close", "catch-all").iterator();
        }
    }

    /** Reads a network for {@code --allow}/{@code --deny}, with {@link Cidr#parse}'s message. */
    static final class CidrConverter implements ITypeConverter<Cidr> {
        @Override
        public Cidr convert(String value) {
            try {
                return Cidr.parse(value);
            } catch (InvalidConfigException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

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

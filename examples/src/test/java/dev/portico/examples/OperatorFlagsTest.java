package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.BindAddress;
import dev.portico.api.Cidr;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --allow}, {@code --deny}, {@code --max-connections}, {@code --metrics}, {@code --access-log}, parsed in-process. */
class OperatorFlagsTest {

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = Portico.commandLine();
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        return cmd.execute(args);
    }

    private static RouterCommand router(String... args) {
        CommandLine.ParseResult r = Portico.commandLine().parseArgs(args);
        return (RouterCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void accessListsAndLimitAreRepeatableAndCommaSeparated() {
        RouterCommand r = router("router", "-c", "a.yaml", "--allow", "192.168.0.0/16", "--allow", "fd00::/8,10.0.0.0/8",
                "--deny", "192.168.1.66", "--max-connections", "500");
        assertThat(r.engine.allow).containsExactly(Cidr.parse("192.168.0.0/16"), Cidr.parse("fd00::/8"),
                Cidr.parse("10.0.0.0/8"));
        assertThat(r.engine.deny).containsExactly(Cidr.parse("192.168.1.66/32"));
        assertThat(r.engine.maxConnections).isEqualTo(500);
    }

    @Test
    void defaultsServeEveryoneWithTheEnginesLimitMetricsOffAccessLogOn() {
        RouterCommand r = router("router", "-c", "a.yaml");
        assertThat(r.engine.allow).isEmpty();
        assertThat(r.engine.deny).isEmpty();
        assertThat(r.engine.maxConnections).as("the engine derives it from the descriptor limit").isNull();
        assertThat(r.observability.metrics).isNull();
        assertThat(r.observability.accessLog).isTrue();
    }

    @Test
    void sniFlagsDefaultToTenSecondsSixteenKibAndClose() {
        RouterCommand r = router("router", "-c", "a.yaml");
        assertThat(r.engine.sniHelloTimeout).isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(r.engine.sniHelloMaxSize).isEqualTo(16384);
        assertThat(r.engine.sniNonTlsToCatchAll).isFalse();
        RouterCommand set = router("router", "-c", "a.yaml", "--sni-hello-timeout", "250ms", "--sni-hello-max-size",
                "32768", "--sni-non-tls", "catch-all");
        assertThat(set.engine.sniHelloTimeout).isEqualTo(java.time.Duration.ofMillis(250));
        assertThat(set.engine.sniHelloMaxSize).isEqualTo(32768);
        assertThat(set.engine.sniNonTlsToCatchAll).isTrue();
    }

    @Test
    void badSniFlagsAreUsageErrorsNamingTheFlag() {
        assertThat(run("router", "-c", "a.yaml", "--sni-non-tls", "forward")).isEqualTo(2);
        assertThat(err.toString()).contains("'--sni-non-tls'").contains("'forward'").contains("close, catch-all");
        assertThat(run("router", "-c", "a.yaml", "--sni-hello-max-size", "100")).isEqualTo(2);
        assertThat(err.toString()).contains("'--sni-hello-max-size'").contains("512..1048576");
        assertThat(run("router", "-c", "a.yaml", "--sni-hello-timeout", "0s")).isEqualTo(2);
        assertThat(err.toString()).contains("'--sni-hello-timeout'");
    }

    @Test
    void demoTakesTheSameFlags() {
        CommandLine.ParseResult p = Portico.commandLine().parseArgs("demo", "--allow", "127.0.0.1", "--max-connections",
                "2", "--metrics", ":9090", "--no-access-log");
        DemoCommand d = (DemoCommand) p.subcommand().commandSpec().userObject();
        assertThat(d.engine.allow).containsExactly(Cidr.parse("127.0.0.1"));
        assertThat(d.engine.maxConnections).isEqualTo(2);
        assertThat(d.observability.metrics).isEqualTo(BindAddress.wildcard(9090));
        assertThat(d.observability.accessLog).isFalse();
    }

    @Test
    void metricsTakesEveryBindForm() {
        assertThat(router("router", "--metrics", ":9090").observability.metrics).isEqualTo(BindAddress.wildcard(9090));
        assertThat(router("router", "--metrics", "127.0.0.1:9090").observability.metrics)
                .isEqualTo(BindAddress.host("127.0.0.1", 9090));
        assertThat(router("router", "--metrics", "[::1]:9090").observability.metrics)
                .isEqualTo(BindAddress.parse("[::1]:9090"));
        assertThat(router("router", "--metrics", "@eth1:9090").observability.metrics)
                .isEqualTo(BindAddress.parse("@eth1:9090"));
        assertThat(router("router", "--no-access-log").observability.accessLog).isFalse();
        assertThat(router("router", "--access-log").observability.accessLog).isTrue();
    }

    @Test
    void badCidrIsAUsageErrorNamingTheFlag() {
        assertThat(run("router", "-c", "a.yaml", "--allow", "192.168.0.0/33")).isEqualTo(2);
        assertThat(err.toString()).contains("--allow", "prefix /33 is out of range");
        assertThat(run("demo", "--deny", "lan")).isEqualTo(2);
        assertThat(err.toString()).contains("--deny", "'lan' is not an IP address or network");
    }

    @Test
    void negativeMaxConnectionsIsAUsageError() {
        assertThat(run("router", "-c", "a.yaml", "--max-connections", "-1")).isEqualTo(2);
        assertThat(err.toString()).contains("--max-connections", "negative");
    }

    @Test
    void badMetricsAddressIsAUsageErrorNamingTheFlag() {
        assertThat(run("router", "-c", "a.yaml", "--metrics", "127.0.0.1:99999")).isEqualTo(2);
        assertThat(err.toString()).contains("--metrics", "99999");
    }
}

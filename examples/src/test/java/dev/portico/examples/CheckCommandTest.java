package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code portico check}: the configuration judged without binding anything. */
class CheckCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int check(String... args) {
        CommandLine cmd = Portico.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "check";
        System.arraycopy(args, 0, all, 1, args.length);
        return cmd.execute(all);
    }

    private Path write(String name, String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }

    private static String frontend(String bind, String backend) {
        return "apiVersion: v1\nfrontends:\n  - bind: " + bind + "\n    backends:\n      - address: " + backend + "\n";
    }

    @Test
    void goodFilesExitZeroWithASummaryAndBindNothing() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            // A port in use is the router's business at run time, not a configuration problem.
            write("a.yaml", frontend("127.0.0.1:" + taken.getLocalPort(), "10.0.0.1:80"));
            write("b.yml", frontend(":8081", "10.0.0.2:80"));

            assertThat(check("-c", dir.toString())).isZero();

            assertThat(out.toString()).isEqualTo("2 file(s), 2 frontend(s): OK" + System.lineSeparator());
            assertThat(err.toString()).isEmpty();
        }
    }

    @Test
    void aBrokenFileExitsTwoNamingItsLineAndColumn() throws Exception {
        Path file = write("portico.yaml", """
                apiVersion: v1
                frontends:
                  - bind: :80
                    backends:
                      - address: 10.0.0.1:80
                    connectTimeout: soon
                """);

        assertThat(check("-c", file.toString())).isEqualTo(2);

        assertThat(err.toString()).contains(file + ":6:").contains("soon")
                .contains("1 file(s), 0 frontend(s): 1 problem(s)");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aMissingFileExitsTwoNamingIt() {
        Path missing = dir.resolve("missing.yaml");

        assertThat(check("-c", missing.toString())).isEqualTo(2);

        assertThat(err.toString()).contains(missing + ": does not exist");
    }

    @Test
    void theSameBindInTwoFilesIsTheConflictTheRouterWouldReport() throws Exception {
        Path a = write("a.yaml", frontend(":9000", "10.0.0.1:80"));
        Path b = write("b.yaml", frontend(":9000", "10.0.0.2:80"));

        assertThat(check("-c", a.toString(), "-c", b.toString())).isEqualTo(2);

        assertThat(err.toString()).contains("conflict:", ":9000");
    }

    @Test
    void aFileWithoutFrontendsExitsTwoAsTheRouterWould() throws Exception {
        Path empty = write("empty.yaml", "apiVersion: v1\nfrontends: []\n");

        assertThat(check("-c", empty.toString())).isEqualTo(2);

        assertThat(err.toString()).contains(empty + ": no frontend defined");
    }

    @Test
    void routerFlagsAreAcceptedSoTheUnitCanRepeatItsCommandLine() throws Exception {
        Path file = write("a.yaml", frontend(":9000", "10.0.0.1:80"));

        assertThat(check("-c", file.toString(), "--drain-timeout", "5s", "--freebind", "--transport", "auto",
                "--allow", "10.0.0.0/8")).isZero();
    }

    @Test
    void kubernetesFlagsAreCheckedForSyntaxOnly() throws Exception {
        Path file = write("a.yaml", frontend(":9000", "10.0.0.1:80"));

        assertThat(check("-c", file.toString(), "--expose", "internal=@eth1")).isEqualTo(2);
        assertThat(err.toString()).contains("--expose is a Kubernetes flag");
    }
}

package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code router --allow-empty}, as the Debian package's unit runs it: a fresh install has only a
 * commented example in /etc/portico, and the router must wait for a frontend rather than exit
 * (which systemd would answer with a restart every few seconds).
 */
class RouterAllowEmptyIT {

    private static final Duration START = Duration.ofSeconds(30);

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    @Test
    void routerWithAllowEmptyWaitsOnACommentedConfigAndServesAFrontendWrittenLater() throws Exception {
        Files.writeString(dir.resolve("portico.yaml"), """
                # Nothing here yet: uncomment a frontend.
                # frontends:
                #   - bind: 127.0.0.1:8080
                """);
        Launchers.Launched router = launchers.portico("router", "--allow-empty", "-c", dir.toString(),
                "--drain-timeout", "1s");
        await().atMost(START).pollInterval(Duration.ofMillis(100))
                .until(() -> router.stderr().contains("running: 0 frontend(s)"));

        try (TcpServer backend = TcpServer.namedEcho("later")) {
            int port = Net.freePort();
            Files.writeString(dir.resolve("web.yaml"), """
                    apiVersion: v1
                    frontends:
                      - bind: 127.0.0.1:%d
                        backends:
                          - address: %s
                    """.formatted(port, backend.address()));
            await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
            try (Net.Conn c = Net.Conn.open(port)) {
                assertThat(c.readLine()).isEqualTo("later");
                assertThat(c.roundTrip("written after the start")).isEqualTo("written after the start");
            }
        }
        assertThat(router.terminate(START)).isZero();
    }
}

package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import static dev.portico.examples.Launchers.CHANGE;
import static dev.portico.examples.Launchers.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher jar as an operator runs it: {@code portico router -c portico.yaml} in its own JVM,
 * with the file edited while it runs and SIGTERM at the end.
 */
class RouterEndToEndIT {

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    private TcpServer backendA;
    private TcpServer backendB;

    @BeforeEach
    void startBackends() throws IOException {
        backendA = TcpServer.namedEcho("A");
        backendB = TcpServer.namedEcho("B");
    }

    @AfterEach
    void stopBackends() throws IOException {
        backendA.close();
        backendB.close();
    }

    @Test
    void routerServesTheFileAppliesEditsLiveKeepsOpenConnectionsAndExitsZeroOnSigterm() throws Exception {
        int first = Net.freePort();
        int second = Net.freePort();
        Path config = dir.resolve("portico.yaml");
        Launchers.Launched router = routerServingBackendAOn(config, first);

        try (Net.Conn before = Net.Conn.open(first)) {
            assertThat(before.readLine()).isEqualTo("A");
            assertThat(before.roundTrip("hello through portico")).isEqualTo("hello through portico");

            // Add a frontend, and a backend to the first one.
            Files.writeString(config, """
                    apiVersion: v1
                    frontends:
                      - bind: 127.0.0.1:%d
                        backends:
                          - address: %s
                          - address: %s
                      - name: second
                        bind: 127.0.0.1:%d
                        backends:
                          - address: %s
                    """.formatted(first, backendA.address(), backendB.address(), second, backendB.address()));

            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(second));
            try (Net.Conn viaSecond = Net.Conn.open(second)) {
                assertThat(viaSecond.readLine()).isEqualTo("B");
                assertThat(viaSecond.roundTrip("to the new frontend")).isEqualTo("to the new frontend");
            }
            // The first frontend now balances over A and B: some new connection lands on B.
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(50)).until(() -> {
                try (Net.Conn c = Net.Conn.open(first)) {
                    return "B".equals(c.readLine());
                }
            });
            assertThat(before.roundTrip("still here after the edit")).isEqualTo("still here after the edit");

            // Remove the first frontend: its listener closes, its open connection drains.
            Files.writeString(config, """
                    apiVersion: v1
                    frontends:
                      - name: second
                        bind: 127.0.0.1:%d
                        backends:
                          - address: %s
                    """.formatted(second, backendB.address()));
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> !Net.accepts(first));
            assertThat(Net.accepts(second)).isTrue();
            assertThat(before.roundTrip("draining")).isEqualTo("draining");
        }

        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }

    @Test
    void sighupReReadsTheFilesAndKeepsServing() throws Exception {
        int first = Net.freePort();
        int second = Net.freePort();
        Path config = dir.resolve("portico.yaml");
        Launchers.Launched router = routerServingBackendAOn(config, first);

        try (Net.Conn before = Net.Conn.open(first)) {
            assertThat(before.readLine()).isEqualTo("A");
            Files.writeString(config, """
                    apiVersion: v1
                    frontends:
                      - bind: 127.0.0.1:%d
                        backends:
                          - address: %s
                      - name: second
                        bind: 127.0.0.1:%d
                        backends:
                          - address: %s
                    """.formatted(first, backendA.address(), second, backendB.address()));
            router.signal("HUP");

            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> !router.process.isAlive()
                    || router.stderr().contains("reload done: serving 2 frontend(s), 2 listening"));
            assertThat(router.process.isAlive()).as("the router runs on after SIGHUP").isTrue();
            assertThat(router.stderr()).contains("reload requested (SIGHUP)");
            try (Net.Conn viaSecond = Net.Conn.open(second)) {
                assertThat(viaSecond.readLine()).isEqualTo("B");
                assertThat(viaSecond.roundTrip("after the reload")).isEqualTo("after the reload");
            }
            // A SIGHUP with nothing changed is a reload too, and the router still runs.
            router.signal("HUP");
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() ->
                    router.stderr().split("reload done", -1).length == 3);
            assertThat(router.process.isAlive()).isTrue();
            assertThat(before.roundTrip("untouched by the reloads")).isEqualTo("untouched by the reloads");
        }
        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }

    /** Starts the router on a file (l4proxy's format, unchanged) with one frontend on {@code port} to backend A. */
    private Launchers.Launched routerServingBackendAOn(Path config, int port) throws IOException {
        Files.writeString(config, """
                apiVersion: v1
                frontends:
                  - bind: 127.0.0.1:%d
                    backends:
                      - address: %s
                """.formatted(port, backendA.address()));
        Launchers.Launched router = launchers.portico("router", "-c", config.toString(), "--drain-timeout", "5s");
        await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
        return router;
    }
}

package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The launcher jar's command line: exit codes, messages, {@code --version}, the demo, the embedding example. */
class LauncherIT {

    private static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    @Test
    void routerWithoutConfigExitsTwoSayingWhatToDo() throws Exception {
        Launchers.Launched p = launchers.portico("router");
        assertThat(p.exitCode(EXIT)).isEqualTo(2);
        assertThat(p.stderr()).contains("no configuration", "-c FILE", "portico demo");
    }

    @Test
    void routerWhoseOnlyFileIsMissingExitsTwoNamingTheFile() throws Exception {
        Path missing = dir.resolve("missing.yaml");
        Launchers.Launched p = launchers.portico("router", "-c", missing.toString());
        assertThat(p.exitCode(EXIT)).isEqualTo(2);
        assertThat(p.stderr()).contains(missing + ": does not exist", "no usable configuration");
    }

    @Test
    void routerWithAnEmptyConfigDirectoryExitsTwo() throws Exception {
        Launchers.Launched p = launchers.portico("router", "-c", dir.toString());
        assertThat(p.exitCode(EXIT)).isEqualTo(2);
        assertThat(p.stderr()).contains("no usable configuration", dir + " defines no frontend");
    }

    @Test
    void versionPrintsTheProjectVersionTheCommitAndTheBuildTime() throws Exception {
        Launchers.Launched p = launchers.portico("--version");
        assertThat(p.exitCode(EXIT)).isZero();
        assertThat(p.stdout().lines().findFirst()).hasValueSatisfying(line -> assertThat(line).matches(
                "portico " + java.util.regex.Pattern.quote(System.getProperty("portico.version"))
                        + " \\(commit [0-9a-f]{7,}(-dirty)?, built 20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)"));
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Launchers.Launched p = launchers.portico("--help");
        assertThat(p.exitCode(EXIT)).isZero();
        assertThat(p.stdout()).contains("router", "demo", "--verbose", "--quiet");
    }

    @Test
    void badFlagExitsTwoNamingTheFlag() throws Exception {
        Launchers.Launched p = launchers.portico("router", "-c", "x.yaml", "--transport", "carrier-pigeon");
        assertThat(p.exitCode(EXIT)).isEqualTo(2);
        assertThat(p.stderr()).contains("--transport", "carrier-pigeon", "nio");
    }

    @Test
    void aLogbackConfigurationOfTheOperatorsTakesOverTheLogAndCanSendTheAccessLogToAFile() throws Exception {
        Path access = dir.resolve("access.log");
        Path config = dir.resolve("logback.xml");
        Files.writeString(config, """
                <configuration>
                  <appender name="file" class="ch.qos.logback.core.FileAppender">
                    <file>%s</file>
                    <encoder><pattern>ACCESS %%msg%%n</pattern></encoder>
                  </appender>
                  <logger name="portico.access" level="INFO" additivity="false">
                    <appender-ref ref="file"/>
                  </logger>
                  <root level="WARN"/>
                </configuration>
                """.formatted(access));
        int port = Net.freePort();
        Launchers.Launched demo = launchers.porticoWithJvmFlags(
                List.of("-Dlogback.configurationFile=" + config), "demo", "--port", String.valueOf(port));
        await().atMost(EXIT).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
        try (Net.Conn c = Net.Conn.open(port)) {
            assertThat(c.roundTrip("through logback")).isEqualTo("through logback");
        }
        await().atMost(EXIT).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(access) && Files.readString(access).contains("ACCESS client=127.0.0.1"));
        assertThat(demo.terminate(EXIT)).isZero();
        // The operator's configuration replaced the built-in format, and SLF4J saw no clash of providers.
        assertThat(demo.stderr()).doesNotContain("Class path contains multiple SLF4J providers", "SLF4J(I)");
    }

    @Test
    void demoServesEchoOnTheGivenPortAndExitsZeroOnSigterm() throws Exception {
        int port = Net.freePort();
        Launchers.Launched demo = launchers.portico("demo", "--port", String.valueOf(port));
        await().atMost(EXIT).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
        try (Net.Conn c = Net.Conn.open(port)) {
            assertThat(c.roundTrip("hello demo")).isEqualTo("hello demo");
        }
        assertThat(demo.stdout()).contains("nc 127.0.0.1 " + port);
        assertThat(demo.terminate(EXIT)).isZero();
        // Every stderr line is the launcher's own format: no line from SLF4J about its providers.
        assertThat(demo.stderr().lines()).allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT.*Z (INFO |WARN |ERROR|DEBUG|TRACE) .*"));
    }

    @Test
    void demoOnATakenPortExitsOneSuggestingAnotherPort() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName(Net.HOST), 0));
            Launchers.Launched demo = launchers.portico("demo", "--port", String.valueOf(taken.getLocalPort()));
            assertThat(demo.exitCode(EXIT)).isEqualTo(1);
            assertThat(demo.stderr()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort(), "--port");
        }
    }

    @Test
    void embeddingExampleForwardsToItsBackend() throws Exception {
        try (TcpServer backend = TcpServer.namedEcho("embedded")) {
            int port = Net.freePort();
            launchers.main("dev.portico.examples.EmbeddingExample", "127.0.0.1:" + port, backend.address());
            await().atMost(EXIT).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
            try (Net.Conn c = Net.Conn.open(port)) {
                assertThat(c.readLine()).isEqualTo("embedded");
                assertThat(c.roundTrip("from a library user")).isEqualTo("from a library user");
            }
        }
    }

    @Test
    void checkOfAGoodFileExitsZeroWithASummary() throws Exception {
        Path file = java.nio.file.Files.writeString(dir.resolve("portico.yaml"),
                "apiVersion: v1\nfrontends:\n  - bind: :9000\n    backends:\n      - address: 10.0.0.1:80\n");
        Launchers.Launched p = launchers.portico("check", "-c", file.toString());
        assertThat(p.exitCode(EXIT)).isZero();
        assertThat(p.stdout()).contains("1 file(s), 1 frontend(s): OK");
    }

    @Test
    void checkOfABrokenFileExitsTwoNamingTheLine() throws Exception {
        Path file = java.nio.file.Files.writeString(dir.resolve("portico.yaml"),
                "apiVersion: v1\nfrontends:\n  - bind: :9000\n    backends:\n      - address: 10.0.0.1:nope\n");
        Launchers.Launched p = launchers.portico("check", "-c", file.toString());
        assertThat(p.exitCode(EXIT)).isEqualTo(2);
        assertThat(p.stderr()).contains(file + ":5:").contains("1 problem(s)");
    }

    @Test
    void checkOfAMissingFileExitsTwo() throws Exception {
        Path missing = dir.resolve("missing.yaml");
        Launchers.Launched p = launchers.portico("check", "-c", missing.toString());
        assertThat(p.exitCode(EXIT)).isEqualTo(2);
        assertThat(p.stderr()).contains(missing + ": does not exist");
    }
}

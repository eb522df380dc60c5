package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portico.api.BackendSource;
import dev.portico.api.DesiredState;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyEvents;
import dev.portico.netty.NettyForwardingEngine;
import dev.portico.netty.Transport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --freebind}: a standby router listens on the floating address keepalived will move to it.
 * The floating address is 192.0.2.55 (TEST-NET-1, never routed), put on the loopback interface by
 * the test once the listener is up, so every byte stays on this machine. Needs root for {@code ip
 * addr}, as CI has.
 */
class FreebindTest {

    private static final String FLOATING = "192.0.2.55";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final List<String> listenerFailures = new CopyOnWriteArrayList<>();
    private final ProxyEvents events = new ProxyEvents() {
        @Override
        public void onListenerFailed(String frontend, dev.portico.api.BindAddress bind, String reason) {
            listenerFailures.add(reason);
        }
    };
    private NettyForwardingEngine engine;
    private TcpServer backend;
    private boolean addressAdded;

    @BeforeEach
    void preconditions() throws Exception {
        assumeTrue(Transport.EPOLL.isAvailable(), "IP_FREEBIND is set through epoll: " + Transport.EPOLL.unavailabilityCause());
        assumeTrue("root".equals(System.getProperty("user.name")), "adding the floating address to lo needs root");
        assertThat(isLocal(FLOATING)).as(FLOATING + " must not be on this machine before the test").isFalse();
        backend = TcpServer.namedEcho("A");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (engine != null) {
            engine.close(Duration.ofSeconds(1));
        }
        if (backend != null) {
            backend.close();
        }
        if (addressAdded) {
            ip("addr", "del", FLOATING + "/32", "dev", "lo");
        }
    }

    @Test
    void aFreebindListenerListensBeforeItsAddressArrivesAndServesOnceItDoes() throws Exception {
        int port = Net.freePort();
        engine = NettyForwardingEngine.builder().transport(Transport.EPOLL).ioThreads(1).freebind(true)
                .events(events).build();

        engine.apply(DesiredState.of(Frontend.builder(FLOATING + ":" + port).name("vip")
                .backend(backend.address()).build()));

        assertThat(state("vip")).isEqualTo(EngineStatus.ListenerState.LISTENING);
        assertThat(listenerFailures).isEmpty();

        // keepalived moves the address here.
        ip("addr", "add", FLOATING + "/32", "dev", "lo");
        addressAdded = true;
        // Connect only to an address that is local now, so nothing leaves the machine.
        assertThat(isLocal(FLOATING)).isTrue();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(FLOATING, port), 5000);
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("A");
            s.getOutputStream().write("via the floating address\n".getBytes(StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("via the floating address");
        }
    }

    @Test
    void withoutFreebindTheListenerFailsSayingTheAddressIsNotHereAndNamingTheFlag() {
        engine = NettyForwardingEngine.builder().transport(Transport.EPOLL).ioThreads(1).events(events).build();

        engine.apply(DesiredState.of(Frontend.builder(FLOATING + ":" + Net.freePort()).name("vip")
                .backend(backend.address()).build()));

        assertThat(state("vip")).isEqualTo(EngineStatus.ListenerState.FAILED);
        assertThat(listenerFailures).singleElement().asString()
                .contains("address not available", FLOATING, "--freebind", "retrying every");
    }

    @Test
    void theLauncherFlagSetsItOnEveryListenerAndNioIsRefusedAtStart() throws Exception {
        CommandLine.ParseResult parsed = Portico.commandLine().parseArgs("router", "--freebind", "-c", "a.yaml");
        EngineOptions options = ((RouterCommand) parsed.subcommand().commandSpec().userObject()).engine;
        assertThat(options.freebind).isTrue();
        Frontend vip = Frontend.builder(FLOATING + ":" + Net.freePort()).name("vip").backend(backend.address()).build();

        ProxyRuntime runtime = ProxyRuntime.start(Logging.logger("test"), options,
                List.of(BackendSource.fixed("test", List.of(vip))), WAIT);
        try {
            assertThat(runtime.engine().status().frontend("vip").orElseThrow().state())
                    .isEqualTo(EngineStatus.ListenerState.LISTENING);
        } finally {
            runtime.stopNow();
        }

        options.transport = Transport.NIO;
        assertThatThrownBy(() -> ProxyRuntime.start(Logging.logger("test"), options,
                List.of(BackendSource.fixed("test", List.of(vip))), WAIT))
                .isInstanceOfSatisfying(ProxyRuntime.StartupException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(Portico.EXIT_FAILURE);
                    assertThat(e.getMessage()).contains("--freebind", "epoll or io_uring");
                });
    }

    @Test
    void freebindOnNioIsRefusedAtBuild() {
        assertThatThrownBy(() -> NettyForwardingEngine.builder().transport(Transport.NIO).freebind(true).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("epoll or io_uring");
    }

    private EngineStatus.ListenerState state(String name) {
        return engine.status().frontend(name).orElseThrow().state();
    }

    /** Whether a plain socket can bind the address, i.e. whether this machine holds it. */
    private static boolean isLocal(String address) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return true;
        } catch (BindException e) {
            return false;
        }
    }

    private static void ip(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + output).isZero();
    }
}

package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portico.api.DesiredState;
import dev.portico.api.Frontend;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An {@code @iface} listener follows its interface's address: when the first IPv6 address of
 * {@code lo} changes (as a DHCP lease or a PPP link would change an uplink's), the listener moves to
 * it, and connections opened before the move go on. Changing an address needs CAP_NET_ADMIN (CI
 * runs as root); without it the test is not applicable and says so.
 */
class InterfaceFollowTest extends EngineTestSupport {
    private static final String EXTRA = "fd00:5::1";

    private static boolean ip(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException noIpTool) {
            return false; // without iproute2 the address cannot be changed: not applicable
        }
        p.getInputStream().readAllBytes();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    @Test
    void listenerMovesWhenTheInterfaceAddressChangesAndOpenConnectionsSurvive() throws Exception {
        assumeTrue(ip("-6", "addr", "add", EXTRA + "/128", "dev", "lo"),
                "changing an address on lo needs iproute2 and CAP_NET_ADMIN (CI has both)");
        boolean added = true;
        NettyForwardingEngine engine = NettyForwardingEngine.builder().events(recorder)
                .recheckInterval(Duration.ofMillis(100)).build();
        try (TcpServer backend = TcpServer.echo()) {
            assertThat(ip("-6", "addr", "del", EXTRA + "/128", "dev", "lo")).isTrue();
            added = false;
            int port = TcpServer.deadPort();
            engine.apply(DesiredState.of(Frontend.builder("@lo/6:" + port).name("uplink")
                    .backend(backend.address()).build()));
            InetAddress loopback = InetAddress.getByName("::1");
            InetAddress extra = InetAddress.getByName(EXTRA);
            assertThat(addressOf(engine, "uplink").getAddress()).isEqualTo(loopback);
            try (Socket before = new Socket()) {
                before.connect(new InetSocketAddress(loopback, port), 5000);
                EngineApplyTest.roundTrip(before, "before the move");
                // The interface gets a new first address: the listener moves to it.
                assertThat(ip("-6", "addr", "add", EXTRA + "/128", "dev", "lo")).isTrue();
                added = true;
                awaitTrue(() -> extra.equals(addressOf(engine, "uplink").getAddress()));
                try (Socket after = new Socket()) {
                    after.connect(new InetSocketAddress(extra, port), 5000);
                    EngineApplyTest.roundTrip(after, "at the new address");
                }
                assertThatThrownBy(() -> new Socket(loopback, port).close()).isInstanceOf(ConnectException.class);
                EngineApplyTest.roundTrip(before, "the connection from before the move goes on");
                // And back when the address goes away.
                assertThat(ip("-6", "addr", "del", EXTRA + "/128", "dev", "lo")).isTrue();
                added = false;
                awaitTrue(() -> loopback.equals(addressOf(engine, "uplink").getAddress()));
                EngineApplyTest.roundTrip(before, "still going");
            }
        } finally {
            if (added) {
                ip("-6", "addr", "del", EXTRA + "/128", "dev", "lo");
            }
            engine.close(Duration.ofSeconds(1));
        }
    }
}

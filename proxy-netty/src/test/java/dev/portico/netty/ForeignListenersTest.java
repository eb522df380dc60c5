package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portico.api.EngineStatus.ListenerState;
import dev.portico.api.Frontend;
import dev.portico.api.HealthCheck;
import dev.portico.api.Protocol;
import dev.portico.api.fixtures.TcpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With SO_REUSEPORT on (the default on epoll), a port another process holds is refused as a plain
 * bind would refuse it, and taken once that process lets go: the router does not silently share
 * it with, say, a second router started by hand.
 */
class ForeignListenersTest extends EngineTestSupport {

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "udp"})
    void aPortAnotherProcessHoldsWithReusePortIsRefusedAndTakenOnceItIsFree(String protocol) throws Exception {
        assumeTrue(Transport.EPOLL.isAvailable(), "SO_REUSEPORT listeners need epoll here");
        boolean udp = protocol.equals("udp");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ReusePortHolderMain.class.getName(), "0", protocol).redirectErrorStream(true).start();
        try (TcpServer backend = TcpServer.echo();
             NettyForwardingEngine engine = NettyForwardingEngine.builder().transport(Transport.EPOLL).ioThreads(2)
                     .recheckInterval(Duration.ofMillis(200)).events(recorder).build()) {
            int port = Integer.parseInt(new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine().strip());
            Frontend f = Frontend.builder("127.0.0.1:" + port).name("shared").backend(backend.address())
                    .protocol(udp ? Protocol.UDP : Protocol.TCP).health(HealthCheck.DEFAULT.withEnabled(false)).build();
            apply(engine, f);
            assertThat(status(engine, "shared").state()).isEqualTo(ListenerState.FAILED);
            assertThat(status(engine, "shared").error()).contains("address already in use")
                    .contains("another process " + (udp ? "is bound to" : "listens on") + " 127.0.0.1:" + port);
            holder.getOutputStream().close();
            holder.waitFor();
            awaitTrue(() -> status(engine, "shared").state() == ListenerState.LISTENING);
            assertThat(status(engine, "shared").boundAddress().getPort()).isEqualTo(port);
        } finally {
            holder.destroy();
        }
    }

    @Test
    void socketsOfThisProcessAreNotAnotherProcesssAndAWildcardOverlapsEveryAddress(@TempDir Path proc)
            throws Exception {
        Files.createDirectories(proc.resolve("net"));
        Files.createDirectories(proc.resolve("self/fd"));
        String header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        String ours = "   0: " + hex(InetAddress.getByName("127.0.0.1")) + ":1F90 00000000:0000 0A 00000000:00000000 "
                + "00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0\n";
        Files.writeString(proc.resolve("net/tcp"), header + ours);
        Files.writeString(proc.resolve("net/tcp6"), header);
        Files.createSymbolicLink(proc.resolve("self/fd/7"), Path.of("socket:[1111]"));
        InetSocketAddress at = new InetSocketAddress("127.0.0.1", 8080);
        assertThat(ForeignListeners.find(at, false, proc)).isNull();

        String theirs = "   1: " + hex(InetAddress.getByName("0.0.0.0")) + ":1F90 00000000:0000 0A 00000000:00000000 "
                + "00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0\n";
        Files.writeString(proc.resolve("net/tcp"), header + ours + theirs);
        assertThat(ForeignListeners.find(at, false, proc)).isEqualTo("0.0.0.0:8080");
        // Another port, or UDP asked for: nothing.
        assertThat(ForeignListeners.find(new InetSocketAddress("127.0.0.1", 8081), false, proc)).isNull();
        assertThat(ForeignListeners.find(at, true, proc)).isNull();
    }

    @Test
    void procAddressesReadBackAsTheKernelWroteThem() throws Exception {
        InetSocketAddress v4 = ForeignListeners.parse(hex(InetAddress.getByName("192.168.1.20")) + ":01BB");
        assertThat(v4).isEqualTo(new InetSocketAddress("192.168.1.20", 443));
        InetSocketAddress any6 = ForeignListeners.parse("00000000000000000000000000000000:0035");
        assertThat(any6.getAddress().isAnyLocalAddress()).isTrue();
        assertThat(any6.getPort()).isEqualTo(53);
        assertThat(ForeignListeners.parse("zz:1")).isNull();
    }

    /** An IPv4 address as /proc/net/tcp prints it: the 32-bit word in host byte order. */
    private static String hex(InetAddress a) {
        byte[] b = a.getAddress();
        int v = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
        if (java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN) {
            v = Integer.reverseBytes(v);
        }
        return String.format("%08X", v);
    }
}

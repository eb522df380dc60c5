package dev.portico.netty;

import dev.portico.api.fixtures.TcpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Running out of file descriptors never kills the proxy: accepting backs off, the connections it
 * has keep working, and it serves again once descriptors are free. The log says so in plain words
 * ("too many open files (limit 160)") and such connections end with {@code NO_DESCRIPTORS}. The proxy runs in its own JVM
 * under {@code prlimit}, so the limit cannot disturb the test process.
 */
class FdExhaustionTest {

    @Test
    void acceptBacksOffAndRecoversWhenDescriptorsRunOut(@TempDir Path tmp) throws Exception {
        try (TcpServer backend = TcpServer.echo()) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path log = tmp.resolve("proxy.log");
            Process proxy = new ProcessBuilder("prlimit", "--nofile=160:160", java, "-Xmx64m",
                    "-cp", System.getProperty("java.class.path"), FdLimitedProxyMain.class.getName(),
                    String.valueOf(backend.port()))
                    .redirectError(log.toFile())
                    .start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(proxy.getInputStream(),
                        StandardCharsets.US_ASCII));
                InetSocketAddress front = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        Integer.parseInt(out.readLine().strip()));
                List<Socket> held = new ArrayList<>();
                int served = fillUp(front, held);
                assertThat(served).as("connections served before the limit").isPositive();
                assertThat(proxy.isAlive()).as("proxy survived running out of descriptors").isTrue();
                // One more descriptor free: whichever of accept or the backend connect ran out
                // first, the other one runs out now.
                proxy.getOutputStream().write("release\n".getBytes(StandardCharsets.US_ASCII));
                proxy.getOutputStream().flush();
                assertThat(out.readLine()).isEqualTo("released");
                fillUp(front, held);
                assertThat(proxy.isAlive()).as("proxy survived running out of descriptors").isTrue();
                String limit = ": too many open files (limit 160)";
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(Files.readString(log))
                        .contains("frontend fd\\u202E: cannot accept connections" + limit)
                        .contains("frontend fd\\u202E: cannot open a connection to 127.0.0.1:" + backend.port() + limit)
                        .contains("end=NO_DESCRIPTORS"));
                // The connections it accepted before keep working.
                Socket first = held.get(0);
                first.setSoTimeout(5000);
                assertThat(echoes(first)).isTrue();
                for (Socket s : held.subList(1, held.size())) {
                    s.close();
                }
                // With descriptors free again, new clients are served.
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(front, 2000);
                        s.setSoTimeout(2000);
                        return echoes(s);
                    }
                });
                assertThat(echoes(first)).isTrue();
                first.close();
            } finally {
                proxy.getOutputStream().close();
                proxy.destroy();
                proxy.waitFor();
                String stderr = Files.readString(log);
                assertThat(stderr).doesNotContain("OutOfMemoryError");
                // A local shortage is not the backend's fault: it must not be marked down.
                assertThat(stderr).doesNotContain("is down");
                // Plain words and a close reason of its own, not Netty's wording or "no backend".
                assertThat(stderr).doesNotContain("reached at the tail of the pipeline")
                        .doesNotContain("Unable to create Channel")
                        .doesNotContain("end=NO_BACKEND")
                        .doesNotContain("\u202E");
            }
        }
    }

    /**
     * Connects until descriptors run out (each connection takes two in the proxy), then a few
     * more, which wait in the listen backlog or are closed at once; returns how many were served.
     */
    private static int fillUp(InetSocketAddress front, List<Socket> held) throws IOException {
        int served = 0;
        int unserved = 0;
        int limit = held.size() + 200;
        while (unserved < 5 && held.size() < limit) {
            Socket s = new Socket();
            s.connect(front, 5000);
            s.setSoTimeout(unserved == 0 ? 2000 : 300);
            held.add(s);
            if (echoes(s)) {
                served++;
            } else {
                unserved++;
            }
        }
        assertThat(unserved).as("connections left unserved at the limit").isEqualTo(5);
        return served;
    }

    private static boolean echoes(Socket s) {
        try {
            s.getOutputStream().write('x');
            return s.getInputStream().read() == 'x';
        } catch (IOException e) {
            return false;
        }
    }

}

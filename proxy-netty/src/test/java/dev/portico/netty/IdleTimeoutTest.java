package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.api.CloseReason;
import dev.portico.api.fixtures.TcpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What counts as idle: a connection is idle when it neither reads nor writes, not merely when it reads nothing. */
class IdleTimeoutTest extends EngineTestSupport {
    private static final int MIB = 1024 * 1024;

    @ParameterizedTest
    @ValueSource(strings = {"nio", "epoll"})
    void aConnectionDrainingToASlowReaderIsNotIdle(String transport) throws Exception {
        // The backend sends everything at once and half-closes: the proxy reads it all within
        // moments (its water mark is above the total), then reads nothing more while the client
        // takes it at about 2 MiB/s, for several idle timeouts. Bytes go out all that time.
        int total = 12 * MIB;
        Duration idleTimeout = Duration.ofSeconds(3);
        try (TcpServer backend = new TcpServer(s -> {
            byte[] chunk = new byte[256 * 1024];
            Arrays.fill(chunk, (byte) 'x');
            OutputStream out = s.getOutputStream();
            for (int sent = 0; sent < total; sent += chunk.length) {
                out.write(chunk);
            }
            s.shutdownOutput();
            // Held open until the proxy closes; the client never sends.
            s.getInputStream().read();
        });
             NettyForwardingEngine engine = engineBuilder(transport)
                     .writeBufferWaterMark(16 * MIB, 32 * MIB).maxReadBuffer(256 * 1024).build()) {
            apply(engine, frontend("slow", backend.address()).idleTimeout(idleTimeout).build());
            try (Socket client = new Socket()) {
                client.setReceiveBufferSize(64 * 1024);
                client.connect(addressOf(engine, "slow"), 5000);
                client.setSoTimeout((int) WAIT.toMillis());
                InputStream in = client.getInputStream();
                byte[] buf = new byte[64 * 1024];
                long got = 0;
                int n;
                while ((n = in.read(buf)) >= 0) {
                    got += n;
                    // The slow reader: 64 KiB per 32 ms, far more often than the idle timeout.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(32));
                }
                assertThat(got).as("bytes that reached the slow client before the proxy's EOF").isEqualTo(total);
                // Once nothing moves, the idle timeout still ends it.
                awaitTrue(() -> closes.contains(CloseReason.IDLE_TIMEOUT));
            }
        }
    }
}

package com.example;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.portico.api.EngineStatus.FrontendStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's example, built against the installed artifacts, carries bytes to a backend. */
class FileProxyTest {

    @TempDir
    Path dir;

    private ServerSocket echo;
    private Thread echoThread;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        echoThread = new Thread(() -> {
            while (!echo.isClosed()) {
                try (Socket s = echo.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (IOException e) {
                    // Closing the server socket ends accept(); a client gone mid-copy ends its copy.
                }
            }
        }, "echo");
        echoThread.start();
    }

    @AfterEach
    void stopEcho() throws Exception {
        echo.close();
        echoThread.join(30_000);
    }

    @Test
    void forwardsBytesToTheBackendTheFileNames() throws Exception {
        Path file = dir.resolve("portico.yaml");
        Files.writeString(file, """
                apiVersion: v1
                frontends:
                  - name: echo
                    bind: 127.0.0.1:0
                    backends:
                      - address: 127.0.0.1:%d
                """.formatted(echo.getLocalPort()));

        try (FileProxy proxy = new FileProxy(List.of(file))) {
            InetSocketAddress front = await().atMost(Duration.ofSeconds(30))
                    .until(() -> proxy.engine().status().frontend("echo")
                            .map(FrontendStatus::boundAddress).orElse(null), a -> a != null);

            byte[] sent = "hello through portico\n".getBytes(StandardCharsets.UTF_8);
            try (Socket client = new Socket(front.getAddress(), front.getPort())) {
                client.setSoTimeout(30_000);
                OutputStream out = client.getOutputStream();
                out.write(sent);
                out.flush();
                client.shutdownOutput();
                InputStream in = client.getInputStream();
                assertArrayEquals(sent, in.readAllBytes());
            }
        }
    }
}

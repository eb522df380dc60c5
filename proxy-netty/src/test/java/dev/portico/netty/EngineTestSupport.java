package dev.portico.netty;

import static org.awaitility.Awaitility.await;

import dev.portico.api.ApplyResult;
import dev.portico.api.Backend;
import dev.portico.api.CloseReason;
import dev.portico.api.ConnectionInfo;
import dev.portico.api.DesiredState;
import dev.portico.api.EngineStatus;
import dev.portico.api.Frontend;
import dev.portico.api.ProxyEvents;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Shared set-up: an engine per test, recorded events, and connecting through a frontend. */
abstract class EngineTestSupport {
    static final Duration WAIT = Duration.ofSeconds(10);

    final List<String> healthEvents = new CopyOnWriteArrayList<>();
    final List<CloseReason> closes = new CopyOnWriteArrayList<>();
    final List<Long> bytesFromClient = new CopyOnWriteArrayList<>();
    final List<Long> bytesToClient = new CopyOnWriteArrayList<>();
    final List<String> connectFailures = new CopyOnWriteArrayList<>();
    final List<String> listenerFailures = new CopyOnWriteArrayList<>();
    final List<String> rejections = new CopyOnWriteArrayList<>();

    final ProxyEvents recorder = new ProxyEvents() {
        @Override
        public void onBackendHealthChanged(String frontend, Backend backend, boolean healthy, String reason) {
            healthEvents.add(backend.address() + (healthy ? " up" : " down"));
        }

        @Override
        public void onConnectionClosed(ConnectionInfo c, long in, long out, long ms, CloseReason reason) {
            bytesFromClient.add(in);
            bytesToClient.add(out);
            closes.add(reason);
        }

        @Override
        public void onConnectFailed(String frontend, Backend backend, String reason) {
            connectFailures.add((backend == null ? "-" : backend.address()) + ": " + reason);
        }

        @Override
        public void onListenerFailed(String frontend, dev.portico.api.BindAddress bind, String reason) {
            listenerFailures.add(bind + ": " + reason);
        }

        @Override
        public void onConfigRejected(dev.portico.api.SourceError error) {
            rejections.add(error.source() + " " + error);
        }
    };

    NettyForwardingEngine newEngine(Transport transport) {
        return NettyForwardingEngine.builder().transport(transport).ioThreads(2).events(recorder).build();
    }

    /** {@code nio}, {@code epoll} or {@code io_uring}. */
    NettyForwardingEngine.Builder engineBuilder(String mode) {
        return NettyForwardingEngine.builder().transport(Transport.fromName(mode)).ioThreads(2).events(recorder);
    }

    NettyForwardingEngine newEngine(String mode) {
        return engineBuilder(mode).build();
    }

    static Frontend.Builder frontend(String name, String... backends) {
        Frontend.Builder b = Frontend.builder("127.0.0.1:0").name(name);
        for (String be : backends) {
            b.backend(be);
        }
        return b;
    }

    static ApplyResult apply(NettyForwardingEngine engine, Frontend... frontends) {
        return engine.apply(DesiredState.of(frontends));
    }

    static EngineStatus.FrontendStatus status(NettyForwardingEngine engine, String name) {
        return engine.status().frontend(name).orElseThrow(() -> new AssertionError("no frontend " + name));
    }

    static InetSocketAddress addressOf(NettyForwardingEngine engine, String name) {
        InetSocketAddress a = status(engine, name).boundAddress();
        if (a == null) {
            throw new AssertionError("frontend " + name + " is not listening: " + status(engine, name).error());
        }
        return a;
    }

    static Socket connect(NettyForwardingEngine engine, String name) throws IOException {
        Socket s = new Socket();
        s.connect(addressOf(engine, name), 5000);
        s.setSoTimeout((int) WAIT.toMillis());
        return s;
    }

    static void awaitTrue(java.util.concurrent.Callable<Boolean> condition) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(condition);
    }
}

package dev.portico.examples;

import dev.portico.discovery.kubernetes.MockKube;
import dev.portico.api.fixtures.TcpServer;
import static dev.portico.examples.Launchers.CHANGE;
import static dev.portico.examples.Launchers.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
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
 * {@code portico router --kubernetes} as a separate process against fabric8's mock API server
 * (CRUD mode, real HTTP and watches): a LoadBalancer Service whose ingress is 127.0.0.2 is served on
 * the {@code --bind} address at the Service's port, next to a static frontend from a file.
 */
class RouterKubernetesIT {

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    private TcpServer fileBackend;
    private IngressBackend ingress;
    private MockKube kube;

    @BeforeEach
    void start() throws IOException {
        fileBackend = TcpServer.namedEcho("file");
        ingress = IngressBackend.start("service");
        kube = new MockKube();
    }

    @AfterEach
    void stop() throws IOException {
        kube.close();
        ingress.close();
        fileBackend.close();
    }

    /** One static frontend, for the file source next to the Kubernetes one. */
    private Path staticConfig(int port) throws IOException {
        Path config = dir.resolve("static.yaml");
        Files.writeString(config, """
                apiVersion: v1
                frontends:
                  - name: nas
                    bind: 127.0.0.1:%d
                    backends:
                      - address: %s
                """.formatted(port, fileBackend.address()));
        return config;
    }

    /** The value of {@code portico_source_watch_state{source="kubernetes",state=STATE}} on /metrics. */
    private static String watchState(MetricsEndpoint metrics, String state) throws IOException, InterruptedException {
        for (String line : metrics.get("/metrics").body().split("\n")) {
            if (line.startsWith("portico_source_watch_state{") && line.contains("source=\"kubernetes\"")
                    && line.contains("state=\"" + state + "\"")) {
                return line.substring(line.lastIndexOf(' ') + 1);
            }
        }
        return "absent";
    }

    private static void assertServedBy(int port, String backend) throws IOException {
        try (Net.Conn c = Net.Conn.open(port)) {
            assertThat(c.readLine()).isEqualTo(backend);
            assertThat(c.roundTrip("bytes to " + backend + " and back")).isEqualTo("bytes to " + backend + " and back");
        }
    }

    @Test
    void loadBalancerServiceIsServedBesideTheFileFrontendAndItsDeletionClosesTheListener() throws Exception {
        kube.start();
        Path kubeconfig = kube.writeKubeconfig(dir.resolve("kubeconfig"));
        int staticPort = Net.freePort();
        int port = ingress.port();

        Launchers.Launched router = launchers.portico("router", "--kubernetes", "--kubeconfig", kubeconfig.toString(),
                "--bind", "127.0.0.1", "-c", staticConfig(staticPort).toString(), "--drain-timeout", "2s");
        await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(staticPort));
        assertServedBy(staticPort, "file");
        assertThat(Net.accepts(port)).as("nothing listens on the Service port before the Service exists").isFalse();

        KubernetesClient client = kube.client();
        Service web = client.services().inNamespace("default").resource(MockKube.loadBalancer("default", "web", port))
                .create();
        MockKube.setIngress(client, web, IngressBackend.INGRESS_IP);

        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
        assertServedBy(port, "service");
        assertServedBy(staticPort, "file");

        try (Net.Conn open = Net.Conn.open(port)) {
            assertThat(open.readLine()).isEqualTo("service");
            client.services().inNamespace("default").withName("web").delete();
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> !Net.accepts(port));
            // The listener is gone; the connection it accepted drains rather than being cut.
            assertThat(open.roundTrip("still connected")).isEqualTo("still connected");
        }
        assertServedBy(staticPort, "file");

        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }

    @Test
    void apiServerDownAtStartDoesNotStopTheFileFrontendsAndServicesArriveWhenItIsUp() throws Exception {
        int apiPort = Net.freePort(); // nothing listens here yet
        Path kubeconfig = MockKube.writeKubeconfig(dir.resolve("kubeconfig"), apiPort);
        int staticPort = Net.freePort();
        int port = ingress.port();
        MetricsEndpoint metrics = new MetricsEndpoint();

        Launchers.Launched router = launchers.portico("router", "--kubernetes", "--kubeconfig", kubeconfig.toString(),
                "--bind", "127.0.0.1", "-c", staticConfig(staticPort).toString(), "--drain-timeout", "2s",
                "--metrics", metrics.flag());
        await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(staticPort));
        assertServedBy(staticPort, "file");
        // The watch state is a metric: not watching while the API server is away.
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> watchState(metrics, "watching")
                .equals("0.0"));
        // The source has failed at least once (and keeps retrying): it said so, and the router runs on.
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100))
                .until(() -> router.stderr().contains("cannot reach the Kubernetes API at http://127.0.0.1:" + apiPort));
        assertThat(router.process.isAlive()).isTrue();
        assertServedBy(staticPort, "file");

        kube.start(apiPort);
        KubernetesClient client = kube.client();
        Service web = client.services().inNamespace("default").resource(MockKube.loadBalancer("default", "web", port))
                .create();
        MockKube.setIngress(client, web, IngressBackend.INGRESS_IP);

        // The informer retries with a backoff of up to a few seconds, then lists what is there.
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
        assertServedBy(port, "service");
        assertServedBy(staticPort, "file");
        assertThat(watchState(metrics, "watching")).isEqualTo("1.0");

        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }
}

package dev.portico.examples;

import dev.portico.api.fixtures.TcpServer;
import dev.portico.discovery.kubernetes.MockKube;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The router against a genuine kube-apiserver (1.20, built from Debian's source by
 * {@code .ci/kube-apiserver.sh}, backed by etcd), for what fabric8's mock cannot show: an API server
 * restart under an open connection, and an informer whose resource version has been compacted away
 * (410 Gone), which must relist. Runs only in the {@code kube-apiserver} Maven profile, which
 * {@code .ci/run} enables after starting the API server with {@code --watch-cache=false} (so that
 * watches are served from etcd and see its compaction):
 * <pre>
 * PORTICO_KUBE_APISERVER_EXTRA_ARGS="--watch-cache=false --feature-gates=MixedProtocolLBService=true" \
 *     .ci/kube-apiserver.sh start /tmp/kube
 * mvn -B -Pkube-apiserver verify -pl examples -am -Dkube.dir=/tmp/kube
 * </pre>
 * No controller-manager runs, so the test sets each Service's load-balancer status itself, through
 * the status subresource, as MetalLB would.
 */
class RealApiServerIT {

    private static final Duration START = Duration.ofSeconds(30);
    /** An informer reconnects with a backoff of up to several seconds after the API server comes back. */
    private static final Duration RECONNECT = Duration.ofSeconds(60);

    @RegisterExtension
    final Launchers launchers = new Launchers();

    private Path kubeDir;
    private Path script;
    private Path kubeconfig;
    private KubernetesClient client;
    private String namespace;
    private final List<IngressBackend> backends = new java.util.ArrayList<>();

    @BeforeEach
    void connect() throws IOException {
        String dir = System.getProperty("kube.dir", "");
        assertThat(dir).as("system property kube.dir: the directory of '.ci/kube-apiserver.sh start DIR' "
                + "(run with -Pkube-apiserver -Dkube.dir=DIR)").isNotBlank().doesNotStartWith("${");
        kubeDir = Path.of(dir).toAbsolutePath();
        script = Path.of(System.getProperty("kube.script", ".ci/kube-apiserver.sh")).toAbsolutePath();
        kubeconfig = kubeDir.resolve("kubeconfig");
        assertThat(kubeconfig).as("kubeconfig written by kube-apiserver.sh start").isReadable();
        assertThat(script).isReadable();
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(null, kubeconfig.toFile()))
                .build();
        namespace = "portico-it-" + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                .build()).create();
    }

    @AfterEach
    void cleanUp() {
        backends.forEach(IngressBackend::close);
        if (client != null) {
            try {
                client.namespaces().withName(namespace).delete();
            } catch (RuntimeException e) {
                // no controller-manager runs to finalize it; the namespace is unique per test anyway
            }
            client.close();
        }
    }

    private IngressBackend backend(String name) throws IOException {
        IngressBackend b = IngressBackend.start(name);
        backends.add(b);
        return b;
    }

    private Launchers.Launched startRouter() {
        return launchers.portico("router", "--kubernetes", "--kubeconfig", kubeconfig.toString(),
                "--namespace", namespace, "--bind", "127.0.0.1", "--drain-timeout", "2s");
    }

    /** Creates a LoadBalancer Service and, as MetalLB would, sets its ingress to 127.0.0.2. */
    private Service expose(String name, int port) {
        Service created = client.services().inNamespace(namespace)
                .resource(MockKube.loadBalancer(namespace, name, port)).create();
        return MockKube.setIngress(client, created, IngressBackend.INGRESS_IP);
    }

    private static void assertServedBy(int port, String backend) throws IOException {
        try (Net.Conn c = Net.Conn.open(port)) {
            assertThat(c.readLine()).isEqualTo(backend);
            assertThat(c.roundTrip("hello " + backend)).isEqualTo("hello " + backend);
        }
    }

    /** {@code .ci/kube-apiserver.sh COMMAND DIR}; its log goes to the build output. Returns its stdout. */
    private String kubeScript(String command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("kube-apiserver-", ".out");
        try {
            Process p = new ProcessBuilder("bash", script.toString(), command, kubeDir.toString())
                    .redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            p.getOutputStream().close();
            assertThat(p.waitFor(3, TimeUnit.MINUTES)).as(script + " " + command + " finished").isTrue();
            assertThat(p.exitValue()).as(script + " " + command + " exit code").isZero();
            return Files.readString(out, StandardCharsets.UTF_8).strip();
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Test
    void apiServerRestartKeepsOpenConnectionsAndTheInformerPicksUpNewServicesAfterwards() throws Exception {
        IngressBackend a = backend("a");
        Launchers.Launched router = startRouter();
        expose("a", a.port());
        await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(a.port()));

        try (Net.Conn open = Net.Conn.open(a.port())) {
            assertThat(open.readLine()).isEqualTo("a");
            assertThat(open.roundTrip("before the restart")).isEqualTo("before the restart");

            kubeScript("restart-apiserver"); // returns once the new one answers /readyz

            assertThat(open.roundTrip("after the restart")).isEqualTo("after the restart");
            assertServedBy(a.port(), "a");

            IngressBackend b = backend("b");
            expose("b", b.port());
            await().atMost(RECONNECT).pollInterval(Duration.ofMillis(200)).until(() -> Net.accepts(b.port()));
            assertServedBy(b.port(), "b");
            assertThat(open.roundTrip("still open")).isEqualTo("still open");
        }

        client.services().inNamespace(namespace).withName("a").delete();
        await().atMost(RECONNECT).pollInterval(Duration.ofMillis(100)).until(() -> !Net.accepts(a.port()));
        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }

    /** Needs the API server's MixedProtocolLBService feature gate (1.20-1.23; on by default from 1.24). */
    @Test
    void aServiceWithTcpAndUdpPortsIsServedOnBoth() throws Exception {
        IngressBackend tcp = null;
        java.net.DatagramSocket udp = null;
        // One port number for both protocols, as DNS has: free for UDP on 127.0.0.2 and 127.0.0.1 too.
        for (int attempt = 0; attempt < 20 && udp == null; attempt++) {
            tcp = backend("dns");
            try (java.net.DatagramSocket probe = new java.net.DatagramSocket(
                    new java.net.InetSocketAddress(Net.HOST, tcp.port()))) {
                udp = new java.net.DatagramSocket(new java.net.InetSocketAddress(IngressBackend.INGRESS_IP, tcp.port()));
            } catch (java.net.SocketException taken) {
                udp = null;
            }
        }
        assertThat(udp).as("a port free for TCP and UDP on 127.0.0.1 and 127.0.0.2").isNotNull();
        int port = tcp.port();
        java.net.DatagramSocket udpBackend = udp;
        Thread answering = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (!udpBackend.isClosed()) {
                try {
                    java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
                    udpBackend.receive(p);
                    byte[] answer = ("dns-udp:" + new String(buf, 0, p.getLength(), StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8);
                    udpBackend.send(new java.net.DatagramPacket(answer, answer.length, p.getSocketAddress()));
                } catch (IOException closed) {
                    return;
                }
            }
        }, "udp-ingress-backend");
        answering.setDaemon(true);
        answering.start();
        try (java.net.DatagramSocket asker = new java.net.DatagramSocket(new java.net.InetSocketAddress(Net.HOST, 0))) {
            Launchers.Launched router = startRouter();
            Service both = new io.fabric8.kubernetes.api.model.ServiceBuilder()
                    .withNewMetadata().withNamespace(namespace).withName("dns").endMetadata()
                    .withNewSpec().withType("LoadBalancer").withPorts(
                            new io.fabric8.kubernetes.api.model.ServicePortBuilder().withName("dns-tcp").withPort(port)
                                    .withProtocol("TCP").build(),
                            new io.fabric8.kubernetes.api.model.ServicePortBuilder().withName("dns-udp").withPort(port)
                                    .withProtocol("UDP").build())
                    .endSpec().build();
            MockKube.setIngress(client, client.services().inNamespace(namespace).resource(both).create(),
                    IngressBackend.INGRESS_IP);
            await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(port));
            assertServedBy(port, "dns");
            // A datagram sent before the UDP listener is up is lost: ask again until one is answered.
            asker.setSoTimeout(500);
            java.net.InetSocketAddress frontend = new java.net.InetSocketAddress(Net.HOST, port);
            await().atMost(START).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
                byte[] q = "query".getBytes(StandardCharsets.UTF_8);
                asker.send(new java.net.DatagramPacket(q, q.length, frontend));
                byte[] buf = new byte[2048];
                java.net.DatagramPacket answer = new java.net.DatagramPacket(buf, buf.length);
                asker.receive(answer);
                return new String(buf, 0, answer.getLength(), StandardCharsets.UTF_8).equals("dns-udp:query")
                        && answer.getSocketAddress().equals(frontend);
            });
            assertServedBy(port, "dns");
            assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
        } finally {
            udpBackend.close();
            answering.join(10_000);
        }
    }

    @Test
    void twoServicesShareOneExposurePortByServerName() throws Exception {
        int port = Net.freePort();
        // Each Service has its own load-balancer address (as MetalLB gives), both on the one port.
        try (TcpServer grafana = TcpServer.namedEcho("grafana", new java.net.InetSocketAddress("127.0.0.2", port));
             TcpServer apps = TcpServer.namedEcho("apps", new java.net.InetSocketAddress("127.0.0.3", port))) {
            startRouter();
            exposeByName("grafana", port, "grafana.example.org", "127.0.0.2");
            exposeByName("apps", port, "*.apps.example.org", "127.0.0.3");
            await().atMost(START).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                    SniLauncherIT.greetingFor(port, SniLauncherIT.hello("grafana.example.org")).equals("grafana")
                            && SniLauncherIT.greetingFor(port, SniLauncherIT.hello("x.apps.example.org")).equals("apps"));
            assertThat(SniLauncherIT.greetingFor(port, SniLauncherIT.hello("GRAFANA.example.org"))).isEqualTo("grafana");
            assertThat(SniLauncherIT.greetingFor(port, SniLauncherIT.hello("y.apps.example.org"))).isEqualTo("apps");
            // Each Service's own backend took the connections routed by its names.
            assertThat(grafana.accepted.get()).isPositive();
            assertThat(apps.accepted.get()).isPositive();
        }
    }

    /** A LoadBalancer Service with {@code portico.dev/sni} and its own ingress address. */
    private void exposeByName(String name, int port, String serverNames, String ingressIp) {
        Service s = MockKube.loadBalancer(namespace, name, port);
        s.getMetadata().setAnnotations(java.util.Map.of("portico.dev/sni", serverNames));
        Service created = client.services().inNamespace(namespace).resource(s).create();
        MockKube.setIngress(client, created, ingressIp);
    }

    @Test
    void informerWhoseResourceVersionWasCompactedAwayRelistsAndPicksUpNewServices() throws Exception {
        assertThat(Files.readString(kubeDir.resolve("apiserver.args")))
                .as("the API server must run with --watch-cache=false, so that watches see etcd's compaction "
                        + "(PORTICO_KUBE_APISERVER_EXTRA_ARGS=--watch-cache=false .ci/kube-apiserver.sh start DIR)")
                .contains("--watch-cache=false");
        IngressBackend a = backend("a");
        IngressBackend b = backend("b");
        Launchers.Launched router = startRouter();
        expose("a", a.port());
        await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(a.port()));
        // 'a' is served, so the informer has listed; 'b' therefore reaches it as watch events, and the
        // watch is one that has made progress (fabric8 relists at once, without asking the server,
        // when a watch that never received anything ends within 2 s: not the case to show here).
        Service lastSeen = expose("b", b.port());
        await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> Net.accepts(b.port()));
        assertServedBy(b.port(), "b");
        String informerVersion = lastSeen.getMetadata().getResourceVersion();

        // Move etcd on with objects the informer does not watch, then compact: resuming the watch
        // from the informer's resource version is now impossible.
        for (int i = 0; i < 3; i++) {
            client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata()
                    .withName("bump-" + i).endMetadata().addToData("i", String.valueOf(i)).build()).create();
        }
        String compactedTo = kubeScript("compact");
        assertThat(Long.parseLong(compactedTo)).isGreaterThan(Long.parseLong(informerVersion) + 1);
        assertThat(watchOutcome(informerVersion)).as("a watch from the informer's resource version "
                + informerVersion + " after compaction to " + compactedTo).isEqualTo("410 Gone");

        // The restart ends the informer's watch; resuming it gets 410 Gone, so it must list again.
        kubeScript("restart-apiserver");
        IngressBackend c = backend("c");
        expose("c", c.port());
        await().atMost(RECONNECT).pollInterval(Duration.ofMillis(200)).until(() -> Net.accepts(c.port()));
        assertServedBy(c.port(), "c");
        assertServedBy(a.port(), "a");
        assertServedBy(b.port(), "b");

        client.services().inNamespace(namespace).withName("b").delete();
        await().atMost(RECONNECT).pollInterval(Duration.ofMillis(100)).until(() -> !Net.accepts(b.port()));
        assertServedBy(a.port(), "a");
        assertThat(router.terminate(Duration.ofSeconds(30))).isZero();
    }

    /** What a watch of this namespace's Services from {@code resourceVersion} gets first. */
    private String watchOutcome(String resourceVersion) throws Exception {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Watcher<Service> watcher = new Watcher<>() {
            @Override
            public void eventReceived(Action action, Service resource) {
                outcome.complete("event " + action);
            }

            @Override
            public void onClose(WatcherException cause) {
                outcome.complete(cause.isHttpGone() ? "410 Gone" : "closed: " + cause);
            }

            @Override
            public boolean reconnecting() {
                return false;
            }
        };
        Watch watch;
        try {
            watch = client.services().inNamespace(namespace).withResourceVersion(resourceVersion).watch(watcher);
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            return e.getCode() == 410 ? "410 Gone" : "failed: " + e;
        }
        try {
            return outcome.get(30, TimeUnit.SECONDS);
        } finally {
            watch.close();
        }
    }
}

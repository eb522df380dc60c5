package dev.portico.examples;

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
 * PORTICO_KUBE_APISERVER_EXTRA_ARGS=--watch-cache=false .ci/kube-apiserver.sh start /tmp/kube
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
                .resource(MockApiServer.loadBalancer(namespace, name, port)).create();
        return MockApiServer.setIngress(client, created, IngressBackend.INGRESS_IP);
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

    @Test
    void twoServicesShareOneExposurePortByServerName() throws Exception {
        int port = Net.freePort();
        // Each Service has its own load-balancer address (as MetalLB gives), both on the one port.
        try (NamedEchoServer grafana = new NamedEchoServer("grafana", new java.net.InetSocketAddress("127.0.0.2", port));
             NamedEchoServer apps = new NamedEchoServer("apps", new java.net.InetSocketAddress("127.0.0.3", port))) {
            startRouter();
            exposeByName("grafana", port, "grafana.example.org", "127.0.0.2");
            exposeByName("apps", port, "*.apps.example.org", "127.0.0.3");
            await().atMost(START).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                    SniLauncherIT.greetingFor(port, SniLauncherIT.hello("grafana.example.org")).equals("grafana")
                            && SniLauncherIT.greetingFor(port, SniLauncherIT.hello("x.apps.example.org")).equals("apps"));
            assertThat(SniLauncherIT.greetingFor(port, SniLauncherIT.hello("GRAFANA.example.org"))).isEqualTo("grafana");
            assertThat(SniLauncherIT.greetingFor(port, SniLauncherIT.hello("y.apps.example.org"))).isEqualTo("apps");
        }
    }

    /** A LoadBalancer Service with {@code portico.dev/sni} and its own ingress address. */
    private void exposeByName(String name, int port, String serverNames, String ingressIp) {
        Service s = MockApiServer.loadBalancer(namespace, name, port);
        s.getMetadata().setAnnotations(java.util.Map.of("portico.dev/sni", serverNames));
        Service created = client.services().inNamespace(namespace).resource(s).create();
        MockApiServer.setIngress(client, created, ingressIp);
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

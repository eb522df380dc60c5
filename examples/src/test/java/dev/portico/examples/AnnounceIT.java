package dev.portico.examples;

import dev.portico.discovery.kubernetes.MockKube;
import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portico.api.Backend;
import dev.portico.discovery.file.FileBackendSource;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code portico announce} as service-announcer's replacement, as a separate process against
 * fabric8's mock API server: the file it writes is l4proxy's format (read back with Portico's own
 * reader), and it is replaced only when its content changes.
 */
class AnnounceIT {

    private static final Duration CHANGE = Duration.ofSeconds(20);

    @RegisterExtension
    final Launchers launchers = new Launchers();

    @TempDir
    Path dir;

    private MockKube kube;

    @BeforeEach
    void startApiServer() {
        kube = new MockKube().start();
    }

    @AfterEach
    void stopApiServer() {
        kube.close();
    }

    /** The file as Portico's l4proxy-format reader sees it: {@code bind -> backend, backend}, in file order. */
    private static List<String> read(Path file) {
        FileBackendSource.Contents r = FileBackendSource.read(List.of(file));
        assertThat(r.problems()).as("problems reading " + file).isEmpty();
        return r.frontends().stream()
                .map(f -> f.bind() + " -> " + f.backends().stream().map(Backend::address).collect(Collectors.joining(", ")))
                .toList();
    }

    private static List<String> readIfPresent(Path file) throws IOException {
        return Files.exists(file) ? read(file) : null;
    }

    private static Object inode(Path file) throws IOException {
        return Files.getAttribute(file, "unix:ino");
    }

    private static Service create(KubernetesClient client, Service service, String... ingressIps) {
        Service created = client.services().inNamespace("default").resource(service).create();
        return ingressIps.length == 0 ? created : MockKube.setIngress(client, created, ingressIps);
    }

    @Test
    void writesTheServicesAsL4proxyConfigAndRewritesTheFileOnlyWhenItsContentChanges() throws Exception {
        Path kubeconfig = kube.writeKubeconfig(dir.resolve("kubeconfig"));
        Path out = dir.resolve("l4proxy.yaml");
        KubernetesClient client = kube.client();

        Launchers.Launched announce = launchers.portico("announce", "--l4proxy-config", out.toString(),
                "--bind", "10.0.0.1", "--kubeconfig", kubeconfig.toString());

        // The first complete list (no Service yet) is written as a file without frontends.
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> List.of().equals(readIfPresent(out)));

        create(client, MockKube.loadBalancer("default", "web", 8080), "192.168.50.10");
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(read(out)).containsExactly("10.0.0.1:8080 -> 192.168.50.10:8080"));
        assertThat(Files.readString(out)).startsWith("apiVersion: v1");
        Object inode = inode(out);
        FileTime modified = Files.getLastModifiedTime(out);

        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            dir.register(watch, ENTRY_CREATE, ENTRY_MODIFY);

            // Changes that leave the file's content as it is: a ClusterIP Service (not for Portico), a
            // label on 'web', and a younger LoadBalancer Service that wants the same bind. The last
            // changes the snapshot the writer gets (it holds both frontends), but l4proxy's format can
            // hold one frontend per bind, the older one's, so the bytes stay the same. The loser gets
            // a Kubernetes Event: the sign that announce has handled all three.
            client.services().inNamespace("default").resource(new ServiceBuilder()
                    .withNewMetadata().withNamespace("default").withName("db").endMetadata()
                    .withNewSpec().withType("ClusterIP").withPorts(new ServicePortBuilder().withPort(5432).build())
                    .endSpec().build()).create();
            client.services().inNamespace("default").withName("web")
                    .edit(s -> new ServiceBuilder(s).editMetadata().addToLabels("team", "blue").endMetadata().build());
            create(client, MockKube.loadBalancer("default", "web-copy", 8080), "192.168.50.99");
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).until(() -> client.v1().events()
                    .inNamespace("default").list().getItems().stream()
                    .anyMatch(e -> isAbout(e, "web-copy")));
            assertThat(inode(out)).as("inode after changes that leave the content as it is").isEqualTo(inode);
            assertThat(Files.getLastModifiedTime(out)).isEqualTo(modified);

            // A change that does change the content: a second Service on another port. Its write comes
            // after the no-op ones (one writer thread, snapshots in order), so counting the file's
            // replacements from here on covers them: exactly one, this one.
            create(client, MockKube.loadBalancer("default", "second", 9090), "192.168.50.11");
            await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertThat(read(out))
                    .containsExactly("10.0.0.1:8080 -> 192.168.50.10:8080", "10.0.0.1:9090 -> 192.168.50.11:9090"));
            assertThat(writesTo(out, watch)).as("times %s was written since the no-op changes", out).isEqualTo(1);
        }
        assertThat(inode(out)).as("the file is replaced by a rename, not rewritten in place").isNotEqualTo(inode);

        // Changing the Service's ports rewrites the file with the new port.
        client.services().inNamespace("default").withName("web").edit(s -> new ServiceBuilder(s).editSpec()
                .withPorts(new ServicePortBuilder().withName("http").withPort(8081).withProtocol("TCP").build())
                .endSpec().build());
        await().atMost(CHANGE).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertThat(read(out))
                .containsExactly(
                        "10.0.0.1:8080 -> 192.168.50.99:8080", // web-copy no longer loses 8080
                        "10.0.0.1:8081 -> 192.168.50.10:8081",
                        "10.0.0.1:9090 -> 192.168.50.11:9090"));

        assertThat(announce.terminate(Duration.ofSeconds(30))).isZero();
    }

    private static boolean isAbout(Event e, String serviceName) {
        return e.getInvolvedObject() != null && serviceName.equals(e.getInvolvedObject().getName());
    }

    /**
     * How often {@code file} was created (a rename onto it counts) or modified, per the events the
     * watch has queued so far. A sentinel file created now marks the end: inotify keeps the order,
     * so once the sentinel's event is in, every earlier event of {@code file} is too.
     */
    private static int writesTo(Path file, WatchService watch) throws IOException, InterruptedException {
        Path sentinel = Files.createFile(file.resolveSibling("sentinel-" + System.nanoTime()));
        int count = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            WatchKey key = watch.poll(100, TimeUnit.MILLISECONDS);
            if (key == null) {
                continue;
            }
            boolean sawSentinel = false;
            for (WatchEvent<?> e : key.pollEvents()) {
                if (file.getFileName().equals(e.context())) {
                    count += e.count();
                } else if (sentinel.getFileName().equals(e.context())) {
                    sawSentinel = true;
                }
            }
            key.reset();
            if (sawSentinel) {
                return count;
            }
        }
        throw new AssertionError("the watch did not report the sentinel " + sentinel + " within 10 s");
    }
}

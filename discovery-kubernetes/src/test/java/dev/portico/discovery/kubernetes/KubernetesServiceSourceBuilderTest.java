package dev.portico.discovery.kubernetes;

import dev.portico.api.fixtures.RecordingListener;
import dev.portico.api.InvalidConfigException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the launcher's flags turn into, checked before anything connects. */
class KubernetesServiceSourceBuilderTest {

    @Test
    void aBadLabelSelectorNamesTheSettingAndThePosition() {
        assertThatThrownBy(() -> KubernetesServiceSource.builder().labelSelector("app in (web").build())
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("label selector 'app in (web': at position 12: ");
    }

    @Test
    void aBadNamespaceOrBindNamesTheSettingNotALauncherFlag() {
        assertThatThrownBy(() -> KubernetesServiceSource.builder().namespace("Team_A").build())
                .hasMessage("namespaces: 'Team_A' is not a valid namespace name");
        assertThatThrownBy(() -> KubernetesServiceSource.builder().bind("127.0.0.1:80"))
                .hasMessageStartingWith("bind '127.0.0.1:80': give the address without a port");
        assertThatThrownBy(() -> KubernetesServiceSource.builder().expose("internal").build())
                .hasMessageStartingWith("exposure class 'internal': expected NAME=ADDRESS");
    }

    @Test
    void aMissingKubeconfigNamesTheSetting(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> KubernetesServiceSource.builder().kubeconfig(missing).build())
                .hasMessage("kubeconfig '" + missing + "': no such readable file");
    }

    @Test
    void theDefaultExposureClassIsTheBindsThenNoneOnceClassesAreDefinedUnlessOneIsNamed() {
        KubernetesClient client = new KubernetesClientBuilder().withConfig(
                new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:1/").build()).build();
        try (client) {
            assertThat(defaultClass(KubernetesServiceSource.builder().client(client)))
                    .contains(KubernetesServiceSource.DEFAULT_EXPOSURE_CLASS); // every address
            assertThat(defaultClass(KubernetesServiceSource.builder().client(client).bind("127.0.0.1")
                    .expose("internal=@eth1"))).contains("default");
            assertThat(defaultClass(KubernetesServiceSource.builder().client(client).expose("internal=@eth1")))
                    .isEmpty();
            assertThat(defaultClass(KubernetesServiceSource.builder().client(client).expose("internal=@eth1")
                    .defaultClass("internal"))).contains("internal");
        }
    }

    private static java.util.Optional<String> defaultClass(KubernetesServiceSource.Builder builder) {
        try (KubernetesServiceSource source = builder.build()) {
            return source.defaultExposureClass();
        }
    }

    @Test
    void aKubeconfigIsReadAsKubectlReadsItWithoutConnecting(@TempDir Path dir) throws IOException {
        Path kubeconfig = dir.resolve("config");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: home
                  cluster:
                    server: https://127.0.0.1:6443
                - name: lab
                  cluster:
                    server: https://127.0.0.1:7443
                users:
                - name: router
                  user:
                    token: not-a-real-token
                contexts:
                - name: home
                  context: {cluster: home, user: router}
                - name: lab
                  context: {cluster: lab, user: router}
                current-context: home
                """);
        try (KubernetesServiceSource home = KubernetesServiceSource.builder().kubeconfig(kubeconfig).build();
             KubernetesServiceSource lab = KubernetesServiceSource.builder().kubeconfig(kubeconfig).context("lab")
                     .name("lab").build()) {
            assertThat(home.apiUrl()).isEqualTo("https://127.0.0.1:6443/");
            assertThat(home.name()).isEqualTo("kubernetes");
            assertThat(home.watchState()).isEqualTo(KubernetesServiceSource.WatchState.CONNECTING);
            assertThat(lab.apiUrl()).isEqualTo("https://127.0.0.1:7443/");
            assertThat(lab.name()).isEqualTo("lab");
        }
    }

    @Test
    void aSourceStartsOnce() {
        try (MockKube kube = new MockKube().start();
             KubernetesServiceSource source = KubernetesServiceSource.builder().client(kube.newClient()).build()) {
            source.start(new RecordingListener());
            assertThatThrownBy(() -> source.start(new RecordingListener())).isInstanceOf(IllegalStateException.class);
        }
    }
}

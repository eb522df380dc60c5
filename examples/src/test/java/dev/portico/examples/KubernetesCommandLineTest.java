package dev.portico.examples;

import dev.portico.discovery.kubernetes.MockKube;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Kubernetes flags of {@code router} and {@code announce}, parsed in-process: what they set, and
 * the usage errors (exit 2, naming the flag) for values the source rejects. None of these contacts an
 * API server: every case fails before the source starts.
 */
class KubernetesCommandLineTest {

    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int run(String... args) {
        CommandLine cmd = Portico.commandLine();
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        return cmd.execute(args);
    }

    private Path kubeconfig() throws IOException {
        return MockKube.writeKubeconfig(dir.resolve("kubeconfig"), 1);
    }

    private static <T> T parse(Class<T> type, String... args) {
        CommandLine.ParseResult r = Portico.commandLine().parseArgs(args);
        return type.cast(r.subcommand().commandSpec().userObject());
    }

    @Test
    void routerKubernetesFlagsAreRead() {
        RouterCommand router = parse(RouterCommand.class, "router", "--kubernetes", "--kubeconfig", "/etc/portico/kc",
                "--context", "home", "--namespace", "web", "--namespace", "media,games", "--label-selector",
                "expose in (yes),!private", "--bind", "@eth1", "--expose", "internal=@eth1", "--expose",
                "external=@eth2", "--default-class", "internal", "-c", "static.yaml");
        assertThat(router.kubernetes).isTrue();
        assertThat(router.kube.kubeconfig).hasToString("/etc/portico/kc");
        assertThat(router.kube.context).isEqualTo("home");
        assertThat(router.kube.namespaces).containsExactly("web", "media", "games");
        assertThat(router.kube.labelSelector).isEqualTo("expose in (yes),!private");
        assertThat(router.kube.bind).isEqualTo("@eth1");
        assertThat(router.kube.expose).containsExactly("internal=@eth1", "external=@eth2");
        assertThat(router.kube.defaultClass).isEqualTo("internal");
        assertThat(router.configs).extracting(Object::toString).containsExactly("static.yaml");
    }

    @Test
    void kubernetesFlagWithoutKubernetesIsAUsageErrorNamingIt() {
        assertThat(run("router", "-c", "a.yaml", "--bind", "@eth1")).isEqualTo(2);
        assertThat(err.toString()).contains("--bind is a Kubernetes flag: add --kubernetes");
    }

    @Test
    void badLabelSelectorIsAUsageErrorNamingTheFlag() throws IOException {
        assertThat(run("router", "--kubernetes", "--kubeconfig", kubeconfig().toString(),
                "--label-selector", "tier in (web")).isEqualTo(2);
        assertThat(err.toString()).contains("--label-selector 'tier in (web'");
    }

    @Test
    void bindWithAPortIsAUsageErrorNamingTheFlag() throws IOException {
        assertThat(run("router", "--kubernetes", "--kubeconfig", kubeconfig().toString(), "--bind", "10.0.0.1:80"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--bind '10.0.0.1:80'", "without a port");
    }

    @Test
    void exposeWithoutAnAddressIsAUsageErrorNamingTheFlag() throws IOException {
        assertThat(run("router", "--kubernetes", "--kubeconfig", kubeconfig().toString(), "--expose", "internal"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--expose 'internal': expected NAME=ADDRESS");
    }

    @Test
    void exposureClassDefinedTwiceIsAUsageError() throws IOException {
        assertThat(run("router", "--kubernetes", "--kubeconfig", kubeconfig().toString(), "--bind", "10.0.0.1",
                "--expose", "default=10.0.0.2")).isEqualTo(2);
        assertThat(err.toString()).contains("--expose 'default=10.0.0.2'", "defined twice", "--bind defines");
    }

    @Test
    void unknownDefaultClassIsAUsageErrorListingTheClasses() throws IOException {
        assertThat(run("router", "--kubernetes", "--kubeconfig", kubeconfig().toString(), "--expose",
                "internal=@eth1", "--default-class", "external")).isEqualTo(2);
        assertThat(err.toString()).contains("--default-class 'external' is not an exposure class (defined: internal)");
    }

    @Test
    void badNamespaceIsAUsageErrorNamingTheFlag() throws IOException {
        assertThat(run("router", "--kubernetes", "--kubeconfig", kubeconfig().toString(), "--namespace", "Web_1"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--namespace 'Web_1'");
    }

    @Test
    void missingKubeconfigFileIsAUsageErrorNamingIt() {
        Path missing = dir.resolve("nope");
        assertThat(run("router", "--kubernetes", "--kubeconfig", missing.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--kubeconfig '" + missing + "'");
    }

    @Test
    void announceTakesServiceAnnouncersFlagsAsItSpellsThem() {
        AnnounceCommand goStyle = parse(AnnounceCommand.class, "announce", "-l4proxy-config", "/etc/l4proxy/k8s.yaml",
                "-bind", "192.168.1.2", "-label-selector", "expose=yes", "-metrics-bind-address=:8080");
        assertThat(goStyle.output).hasToString("/etc/l4proxy/k8s.yaml");
        assertThat(goStyle.kube.bind).isEqualTo("192.168.1.2");
        assertThat(goStyle.kube.labelSelector).isEqualTo("expose=yes");
        assertThat(goStyle.metricsBindAddress).isEqualTo(":8080");

        AnnounceCommand posix = parse(AnnounceCommand.class, "announce", "--l4proxy-config=/tmp/out.yaml",
                "--bind", "@eth1", "--label-selector", "a=b", "--metrics-bind-address", "0", "--kubeconfig", "kc",
                "--namespace", "web");
        assertThat(posix.output).hasToString("/tmp/out.yaml");
        assertThat(posix.kube.bind).isEqualTo("@eth1");
        assertThat(posix.kube.namespaces).containsExactly("web");
        assertThat(posix.kube.kubeconfig).hasToString("kc");
    }

    @Test
    void announceWithoutItsOutputFileIsAUsageError() {
        assertThat(run("announce", "--bind", "10.0.0.1")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--l4proxy-config=FILE'");
    }

    @Test
    void announceIntoAMissingDirectoryIsAUsageErrorNamingTheFlag() throws IOException {
        Path out = dir.resolve("no-such-dir").resolve("l4proxy.yaml");
        assertThat(run("announce", "--l4proxy-config", out.toString(), "--kubeconfig", kubeconfig().toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--l4proxy-config '" + out + "': directory", "does not exist");
        assertThat(Files.exists(out.getParent())).isFalse();
    }
}

package dev.portico.examples;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * fabric8's mock API server in CRUD mode (real HTTP, real watches) over plain HTTP on 127.0.0.1,
 * for the launcher's Kubernetes end-to-end tests, and helpers for the Services they create.
 */
final class MockApiServer implements AutoCloseable {

    /** The mock logs every request at INFO through java.util.logging; held so the level sticks. */
    private static final java.util.logging.Logger MOCK_LOG = quiet("io.fabric8.mockwebserver");

    private final Map<ServerRequest, Queue<ServerResponse>> responses = new ConcurrentHashMap<>();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private int port;

    /** Starts on a free port. */
    MockApiServer start() {
        return start(0);
    }

    /** Starts on {@code port} (0 for a free one). */
    MockApiServer start(int port) {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
                new KubernetesMixedDispatcher(responses), false);
        server.start(InetAddress.getLoopbackAddress(), port);
        this.port = server.getPort();
        return this;
    }

    int port() {
        return port;
    }

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(java.util.logging.Level.WARNING);
        return logger;
    }

    /** A kubeconfig for this server, as an operator would write it (a token user, a context). */
    static Path writeKubeconfig(Path file, int port) throws IOException {
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: http://127.0.0.1:%d
                users:
                - name: portico
                  user:
                    token: not-checked-by-the-mock
                contexts:
                - name: mock
                  context: {cluster: mock, user: portico, namespace: default}
                current-context: mock
                """.formatted(port));
        return file;
    }

    Path writeKubeconfig(Path file) throws IOException {
        return writeKubeconfig(file, port);
    }

    /** The test's own client; closed with the server. */
    KubernetesClient client() {
        if (client == null) {
            Config config = new ConfigBuilder(Config.empty())
                    .withMasterUrl("http://127.0.0.1:" + port + "/")
                    .withNamespace("default")
                    .withRequestTimeout(5_000)
                    .withConnectionTimeout(1_000)
                    .withHttp2Disable(true)
                    .build();
            client = new KubernetesClientBuilder().withConfig(config).build();
        }
        return client;
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.shutdown();
        }
    }

    /** A LoadBalancer Service with TCP ports and no status yet, as {@code kubectl apply} creates it. */
    static Service loadBalancer(String namespace, String name, int... ports) {
        List<ServicePort> sp = new ArrayList<>();
        for (int p : ports) {
            sp.add(new ServicePortBuilder().withName("p" + p).withPort(p).withProtocol("TCP")
                    .withTargetPort(new IntOrString(p)).build());
        }
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withType("LoadBalancer").withPorts(sp).endSpec()
                .build();
    }

    /**
     * Sets {@code status.loadBalancer.ingress} through the status subresource, as MetalLB does once
     * it has assigned an address.
     */
    static Service setIngress(KubernetesClient client, Service service, String... ips) {
        Service current = client.services().inNamespace(service.getMetadata().getNamespace())
                .withName(service.getMetadata().getName()).get();
        List<io.fabric8.kubernetes.api.model.LoadBalancerIngress> ingress = new ArrayList<>();
        for (String ip : ips) {
            ingress.add(new LoadBalancerIngressBuilder().withIp(ip).build());
        }
        Service withStatus = new ServiceBuilder(current)
                .withNewStatus().withNewLoadBalancer().withIngress(ingress).endLoadBalancer().endStatus()
                .build();
        return client.services().inNamespace(current.getMetadata().getNamespace()).resource(withStatus).updateStatus();
    }
}

package dev.portico.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.StatusBuilder;
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
 * whose stored objects outlive a stop: {@link #restart()} serves the same state on the same port, as
 * a restarted API server backed by the same etcd would. Shared through this module's test-jar with
 * the launcher's Kubernetes end-to-end tests, with helpers for the Services they create.
 */
public final class MockKube implements AutoCloseable {

    /** The mock logs every request at INFO through java.util.logging; held so the level sticks. */
    private static final java.util.logging.Logger MOCK_LOG = quiet("io.fabric8.mockwebserver");

    private final Map<ServerRequest, Queue<ServerResponse>> responses = new ConcurrentHashMap<>();
    private final KubernetesMixedDispatcher dispatcher = new KubernetesMixedDispatcher(responses);
    private final List<KubernetesClient> clients = new ArrayList<>();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private int port;

    /** Starts on a free port the first time, on the same port again after {@link #stop()}. */
    public MockKube start() {
        return start(port);
    }

    /** Starts on {@code port} (0 for a free one). */
    public MockKube start(int port) {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher, false);
        server.start(InetAddress.getLoopbackAddress(), port);
        this.port = server.getPort();
        return this;
    }

    public void stop() {
        server.shutdown();
    }

    public void restart() {
        start();
    }

    public int port() {
        return port;
    }

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(java.util.logging.Level.WARNING);
        return logger;
    }

    /** A kubeconfig for the server on {@code port}, as an operator would write it (a token user, a context). */
    public static Path writeKubeconfig(Path file, int port) throws IOException {
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

    public Path writeKubeconfig(Path file) throws IOException {
        return writeKubeconfig(file, port);
    }

    /** The test's own client for creating and editing objects, with the client's usual retries; closed with the server. */
    public KubernetesClient client() {
        if (client == null) {
            Config config = new ConfigBuilder(Config.empty())
                    .withMasterUrl("http://127.0.0.1:" + port + "/")
                    .withNamespace("default")
                    .withRequestTimeout(5_000)
                    .withConnectionTimeout(1_000)
                    .withHttp2Disable(true)
                    .build();
            client = new KubernetesClientBuilder().withConfig(config).build();
            clients.add(client);
        }
        return client;
    }

    /** Answers every POST to {@code path} with 403, as RBAC without 'create' would. */
    public void forbidPosts(String path) {
        server.expect().post().withPath(path).andReturn(403, new StatusBuilder().withCode(403)
                .withMessage("events is forbidden").withReason("Forbidden").build()).always();
    }

    /** Answers the next {@code times} GETs of {@code pathAndQuery} with {@code status}, before the CRUD store. */
    public void failNext(String pathAndQuery, int status, int times) {
        server.expect().get().withPath(pathAndQuery).andReturn(status, new StatusBuilder().withCode(status)
                .withMessage("services is forbidden").withReason("Forbidden").build()).times(times);
    }

    /** A client with short retry intervals, so reconnects happen within a test's patience. */
    public KubernetesClient newClient() {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + port + "/")
                .withNamespace("default")
                .withWatchReconnectInterval(100)
                .withRequestTimeout(5_000)
                .withConnectionTimeout(1_000)
                .withRequestRetryBackoffLimit(0)
                .withHttp2Disable(true)
                .build();
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        clients.add(client);
        return client;
    }

    @Override
    public void close() {
        clients.forEach(KubernetesClient::close);
        if (server != null) {
            server.shutdown();
        }
    }

    /** A LoadBalancer Service with TCP ports and, if given, ingress IPs. */
    public static ServiceBuilder loadBalancer(String namespace, String name, List<Integer> ports, String... ingressIps) {
        List<ServicePort> sp = new ArrayList<>();
        for (int p : ports) {
            sp.add(new io.fabric8.kubernetes.api.model.ServicePortBuilder().withName("p" + p).withPort(p)
                    .withProtocol("TCP").withTargetPort(new IntOrString(p)).build());
        }
        List<LoadBalancerIngress> ingress = new ArrayList<>();
        for (String ip : ingressIps) {
            ingress.add(new io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder().withIp(ip).build());
        }
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withType("LoadBalancer").withPorts(sp).endSpec()
                .withNewStatus().withNewLoadBalancer().withIngress(ingress).endLoadBalancer().endStatus();
    }

    public static Service create(KubernetesClient client, Service service) {
        return client.services().inNamespace(service.getMetadata().getNamespace()).resource(service).create();
    }

    /** A LoadBalancer Service with TCP ports and no status yet, as {@code kubectl apply} creates it. */
    public static Service loadBalancer(String namespace, String name, int... ports) {
        List<Integer> list = new ArrayList<>();
        for (int p : ports) {
            list.add(p);
        }
        return loadBalancer(namespace, name, list).withStatus(null).build();
    }

    /**
     * Sets {@code status.loadBalancer.ingress} through the status subresource, as MetalLB does once
     * it has assigned an address.
     */
    public static Service setIngress(KubernetesClient client, Service service, String... ips) {
        Service current = client.services().inNamespace(service.getMetadata().getNamespace())
                .withName(service.getMetadata().getName()).get();
        List<LoadBalancerIngress> ingress = new ArrayList<>();
        for (String ip : ips) {
            ingress.add(new io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder().withIp(ip).build());
        }
        Service withStatus = new ServiceBuilder(current)
                .withNewStatus().withNewLoadBalancer().withIngress(ingress).endLoadBalancer().endStatus()
                .build();
        return client.services().inNamespace(current.getMetadata().getNamespace()).resource(withStatus).updateStatus();
    }
}

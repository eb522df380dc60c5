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

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * fabric8's mock API server in CRUD mode over plain HTTP on 127.0.0.1, whose stored objects outlive
 * a stop: {@link #restart()} serves the same state on the same port, as a restarted API server
 * backed by the same etcd would.
 */
final class MockKube implements AutoCloseable {

    private final Map<ServerRequest, Queue<ServerResponse>> responses = new ConcurrentHashMap<>();
    private final KubernetesMixedDispatcher dispatcher = new KubernetesMixedDispatcher(responses);
    private final List<KubernetesClient> clients = new ArrayList<>();
    private KubernetesMockServer server;
    private int port;

    MockKube start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher, false);
        server.start(InetAddress.getLoopbackAddress(), port);
        port = server.getPort();
        return this;
    }

    void stop() {
        server.shutdown();
    }

    void restart() {
        start();
    }

    int port() {
        return port;
    }

    /** Answers every POST to {@code path} with 403, as RBAC without 'create' would. */
    void forbidPosts(String path) {
        server.expect().post().withPath(path).andReturn(403, new StatusBuilder().withCode(403)
                .withMessage("events is forbidden").withReason("Forbidden").build()).always();
    }

    /** Answers the next {@code times} GETs of {@code pathAndQuery} with {@code status}, before the CRUD store. */
    void failNext(String pathAndQuery, int status, int times) {
        server.expect().get().withPath(pathAndQuery).andReturn(status, new StatusBuilder().withCode(status)
                .withMessage("services is forbidden").withReason("Forbidden").build()).times(times);
    }

    /** A client with short retry intervals, so reconnects happen within a test's patience. */
    KubernetesClient newClient() {
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
    static ServiceBuilder loadBalancer(String namespace, String name, List<Integer> ports, String... ingressIps) {
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

    static Service create(KubernetesClient client, Service service) {
        return client.services().inNamespace(service.getMetadata().getNamespace()).resource(service).create();
    }
}

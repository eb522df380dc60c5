package dev.portico.discovery.kubernetes;

import dev.portico.api.BackendSource;
import dev.portico.api.BindAddress;
import dev.portico.api.Frontend;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.Snapshot;
import dev.portico.api.SourceError;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.ServiceResource;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Kubernetes Services of type LoadBalancer as a {@link BackendSource}. One fabric8 informer
 * (one per namespace when namespaces are listed, as the API has no multi-namespace watch and
 * namespaced RBAC forbids a cluster-wide one) keeps a cache of the selected Services; every change
 * schedules a rebuild ~50 ms later that maps the whole cache, oldest Service first, and publishes the
 * snapshot if it differs from the last. Nothing is published before the first complete list, and a
 * lost connection never withdraws anything: the cache keeps its last state until a relist replaces it.
 *
 * <p>Build with {@link #builder()}.
 */
public final class KubernetesServiceSource implements BackendSource {

    /** The informers' connection to the API server, for status and metrics. */
    public enum WatchState {
        /** Started, the first list has not completed yet and nothing has failed. */
        CONNECTING,
        /** Listed and watching. */
        WATCHING,
        /** A list or watch failed; the informer retries with backoff and the last known state serves. */
        RETRYING
    }

    /** The name of the exposure class {@link Builder#bind(String)} defines. */
    public static final String DEFAULT_EXPOSURE_CLASS = ExposureClasses.DEFAULT;

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesServiceSource.class);
    private static final long STATE_CHECK_MILLIS = 250;

    private final String name;
    private final ExposureClasses classes;
    private final KubernetesClient client;
    private final boolean ownsClient;
    private final List<String> namespaces;
    private final LabelSelectors.Selector selector;
    private final Duration debounce;
    private final String apiUrl;
    private final ScheduledExecutorService executor;
    private final List<SharedIndexInformer<Service>> informers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final MappingState mapping;
    private final ConflictReporter conflicts;
    private volatile boolean closed;
    private volatile Listener listener;
    private final ConnectionMonitor monitor;
    // Only touched on the executor.
    private Snapshot lastPublished;

    private KubernetesServiceSource(Builder b, KubernetesClient client, ExposureClasses classes,
                                    LabelSelectors.Selector selector) {
        this.name = b.name;
        this.classes = classes;
        this.client = client;
        this.ownsClient = b.client == null;
        this.namespaces = List.copyOf(b.namespaces);
        this.selector = selector;
        this.debounce = b.debounce;
        this.apiUrl = String.valueOf(client.getMasterUrl());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "portico-kubernetes");
            t.setDaemon(true);
            return t;
        });
        MappingState.Reports reports = new MappingState.Reports() {
            @Override
            public void error(SourceError error) {
                reportError(error);
            }

            @Override
            public void recovered(String place) {
                reportRecovered(place);
            }
        };
        this.mapping = new MappingState(new ServiceMapper(classes, name), name, reports);
        this.conflicts = new ConflictReporter(name, client, this::reportError, this::reportRecovered);
        this.monitor = new ConnectionMonitor(name, apiUrl, informers, this::reportError, this::reportRecovered);
    }

    /**
     * Starts the settings of a new source; {@link Builder#build()} checks them.
     *
     * @return a builder with the defaults: every namespace, every label, every address
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(Listener newListener) {
        Objects.requireNonNull(newListener, "listener");
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("source " + name + " was started already");
        }
        listener = newListener;
        List<String> targets = namespaces.isEmpty() ? Collections.singletonList(null) : namespaces;
        Handler handler = new Handler();
        for (String ns : targets) {
            FilterWatchListDeletable<Service, ServiceList, ServiceResource<Service>> op =
                    ns == null ? client.services().inAnyNamespace() : client.services().inNamespace(ns);
            if (!selector.isEmpty()) {
                op = op.withLabelSelector(selector.toString());
            }
            SharedIndexInformer<Service> informer = op.runnableInformer(0);
            informer.addEventHandler(handler);
            informer.exceptionHandler(handler);
            informers.add(informer);
        }
        LOG.info("watching LoadBalancer Services in {}{} at {}",
                namespaces.isEmpty() ? "all namespaces" : "namespaces " + String.join(", ", namespaces),
                selector.isEmpty() ? "" : " with labels " + selector, apiUrl);
        for (SharedIndexInformer<Service> informer : informers) {
            informer.start().whenComplete((v, t) -> {
                if (t == null) {
                    markDirty();
                }
                onExecutor(this::checkState);
            });
        }
        executor.scheduleWithFixedDelay(() -> guarded("watch state check", this::checkState),
                STATE_CHECK_MILLIS, STATE_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * The informers' connection state now, for status pages and metrics.
     *
     * @return {@code CONNECTING} until the first list completes or fails, then {@code WATCHING}
     *         or {@code RETRYING}
     */
    public WatchState watchState() {
        return monitor.state();
    }

    /** Whether every informer has listed and is watching. */
    boolean isWatching() {
        return watchState() == WatchState.WATCHING;
    }

    /**
     * The exposure class of the Services that no annotation or class selector places, as the
     * builder's rule chose it (see {@link Builder#defaultClass}).
     *
     * @return the class's name, or empty when such Services are not exposed
     */
    public Optional<String> defaultExposureClass() {
        return Optional.ofNullable(classes.defaultClass());
    }

    /** The API server this source talks to. */
    String apiUrl() {
        return apiUrl;
    }

    /**
     * The label selector sent to the API server (and applied locally again).
     *
     * @return the selector in canonical form, or an empty string when every Service is selected
     */
    public String labelSelector() {
        return selector.toString();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        informers.forEach(SharedIndexInformer::stop);
        executor.shutdownNow();
        conflicts.close();
        if (ownsClient) {
            client.close();
        }
        LOG.info("stopped watching Services at {}", apiUrl);
    }

    private void markDirty() {
        if (!closed && dirty.compareAndSet(false, true)) {
            try {
                executor.schedule(() -> guarded("rebuild", this::rebuild), debounce.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                LOG.debug("not rebuilding: source {} is closing", name, e);
            }
        }
    }

    private void onExecutor(Runnable task) {
        if (closed) {
            return;
        }
        try {
            executor.execute(() -> guarded("watch state check", task));
        } catch (RejectedExecutionException e) {
            LOG.debug("source {} is closing", name, e);
        }
    }

    /** A task on the scheduler must not throw: a periodic one would silently stop running. */
    private void guarded(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("source {}: {} failed", name, what, e);
            reportError(new SourceError(name, apiUrl, what + " failed: " + e));
        }
    }

    private void rebuild() {
        dirty.set(false);
        if (closed || !monitor.allSynced()) {
            return; // the first complete list triggers a rebuild; never publish a partial start
        }
        List<Service> services = new ArrayList<>();
        for (SharedIndexInformer<Service> informer : informers) {
            for (Service s : informer.getStore().list()) {
                if (selector.matches(ServiceMapper.labels(s))) {
                    services.add(s);
                }
            }
        }
        services.sort(ServiceMapper.AGE_ORDER);
        List<Frontend> frontends = mapping.update(services);
        Map<String, Service> byOrigin = services.stream()
                .collect(Collectors.toMap(ServiceMapper::origin, Function.identity(), (a, b) -> a));
        Snapshot snapshot = new Snapshot(name, frontends);
        conflicts.report(snapshot, byOrigin);
        if (!snapshot.equals(lastPublished) && !closed) {
            LOG.debug("publishing {} frontends from {} Services", frontends.size(), services.size());
            lastPublished = snapshot;
            listener.onSnapshot(snapshot);
        }
    }

    private void checkState() {
        if (!closed && monitor.check() == WatchState.WATCHING && lastPublished == null) {
            markDirty(); // in case the start future's completion raced with the first check
        }
    }

    private void reportError(SourceError error) {
        Listener l = listener;
        if (l != null && !closed) {
            l.onError(error);
        }
    }

    private void reportRecovered(String place) {
        Listener l = listener;
        if (l != null && !closed) {
            l.onRecovered(name, place);
        }
    }

    private final class Handler implements ResourceEventHandler<Service>, ExceptionHandler {
        @Override
        public void onAdd(Service service) {
            markDirty();
        }

        @Override
        public void onUpdate(Service oldService, Service newService) {
            markDirty();
        }

        @Override
        public void onDelete(Service service, boolean deletedFinalStateUnknown) {
            markDirty();
        }

        @Override
        public boolean retryAfterException(boolean isStarted, Throwable t) {
            monitor.failed(t);
            onExecutor(KubernetesServiceSource.this::checkState);
            if (ExceptionHandler.isDeserializationException(t)) {
                LOG.error("cannot read Services from {}; retrying", apiUrl, t);
            }
            return !closed; // never give up: the API server may come back at any time
        }
    }

    /**
     * Collects the settings. Addresses are checked as they are given, everything else by
     * {@link #build()}; a bad setting fails with an {@link InvalidConfigException} whose message
     * starts with the setting's name as this builder spells it ({@code namespaces: }, {@code kubeconfig '},
     * {@code label selector '}, {@code bind '}, {@code exposure class '}), so a launcher can put its own
     * flag names in its place.
     */
    public static final class Builder {
        private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

        private String name = "kubernetes";
        private Path kubeconfig;
        private String context;
        private KubernetesClient client;
        private final LinkedHashSet<String> namespaces = new LinkedHashSet<>();
        private String labelSelector;
        private BindAddress bind;
        private final List<ExposureClasses.ExposureClass> classes = new ArrayList<>();
        private String defaultClass;
        private Duration debounce = Duration.ofMillis(50);

        private Builder() {
        }

        /**
         * The source's name, which its snapshots, errors and the coordinator's status carry.
         *
         * @param value the name; {@code kubernetes} by default
         * @return this builder
         */
        public Builder name(String value) {
            name = Objects.requireNonNull(value, "name");
            return this;
        }

        /**
         * The kubeconfig file to connect with.
         *
         * @param value a readable file ({@link #build()} checks), or null to look as kubectl does:
         *              {@code KUBECONFIG}, {@code ~/.kube/config}, then the in-cluster service account
         * @return this builder
         */
        public Builder kubeconfig(Path value) {
            kubeconfig = value;
            return this;
        }

        /**
         * The kubeconfig context to use.
         *
         * @param value a context name, or null for the kubeconfig's current context
         * @return this builder
         */
        public Builder context(String value) {
            context = value;
            return this;
        }

        /**
         * A ready client, used instead of a kubeconfig and context.
         *
         * @param value the client; the caller closes it, after the source. Null makes the source
         *              create (and close) its own
         * @return this builder
         */
        public Builder client(KubernetesClient value) {
            client = value;
            return this;
        }

        /**
         * Watches this namespace; repeat for several. Without any, every namespace is watched, which
         * needs a cluster-wide RBAC grant.
         *
         * @param value a namespace name, surrounding spaces ignored; {@link #build()} checks its syntax
         * @return this builder
         */
        public Builder namespace(String value) {
            namespaces.add(Objects.requireNonNull(value, "namespace").strip());
            return this;
        }

        /**
         * Watches these namespaces, as {@link #namespace} for each.
         *
         * @param values namespace names, added to those given before
         * @return this builder
         */
        public Builder namespaces(Collection<String> values) {
            values.forEach(this::namespace);
            return this;
        }

        /**
         * Selects only the Services whose labels match.
         *
         * @param value a selector in full Kubernetes syntax ({@code app=web,tier notin (test)}); null
         *              or blank selects every Service. {@link #build()} checks it
         * @return this builder
         */
        public Builder labelSelector(String value) {
            labelSelector = value;
            return this;
        }

        /**
         * The address of the exposure class named {@value ExposureClasses#DEFAULT}, the one
         * unannotated Services use unless {@link #defaultClass} says otherwise.
         *
         * @param address an IP literal ({@code 10.0.0.1}, {@code [fd00::1]}), an interface ({@code @eth1}),
         *                or empty for every address; without a port, as each Service port supplies its own
         * @return this builder
         * @throws InvalidConfigException when the address cannot be read or has a port, message starting
         *                                {@code bind '}
         */
        public Builder bind(String address) {
            return bind(ExposureClasses.parseAddress(address, "bind"));
        }

        /**
         * As {@link #bind(String)}, with an address already read.
         *
         * @param address the address; its port is ignored, each Service brings its own
         * @return this builder
         */
        public Builder bind(BindAddress address) {
            bind = Objects.requireNonNull(address, "bind").withPort(0);
            return this;
        }

        /**
         * Adds an exposure class: a named address that Services choose with an annotation.
         *
         * @param spec {@code NAME=ADDRESS}, for example {@code internal=@eth1} or {@code public=203.0.113.7};
         *             the address as for {@link #bind(String)}
         * @return this builder
         * @throws InvalidConfigException when the text cannot be read, message starting {@code exposure class '}
         */
        public Builder expose(String spec) {
            classes.add(ExposureClasses.parseSpec(spec, "exposure class"));
            return this;
        }

        /**
         * Adds an exposure class that only annotated Services use.
         *
         * @param className the name the Services' annotation gives: lower-case letters, digits,
         *                  {@code -}, {@code _} or {@code .}, up to 63
         * @param address the address to listen on; its port is ignored
         * @return this builder
         * @throws InvalidConfigException when the name is not valid
         */
        public Builder expose(String className, BindAddress address) {
            return expose(className, address, null);
        }

        /**
         * Adds an exposure class that also takes the unannotated Services its label selector matches.
         *
         * @param className the name the Services' annotation gives, as for {@link #expose(String, BindAddress)}
         * @param address the address to listen on; its port is ignored
         * @param labelSelector the unannotated Services this class takes, Kubernetes syntax; null for none
         * @return this builder
         * @throws InvalidConfigException when the name or the selector is not valid
         */
        public Builder expose(String className, BindAddress address, String labelSelector) {
            classes.add(new ExposureClasses.ExposureClass(className, address,
                    labelSelector == null ? null : LabelSelectors.parse(labelSelector,
                            "label selector of exposure class " + className)));
            return this;
        }

        /**
         * The class for Services that no annotation or class selector places. By default the
         * {@link #bind} class; without a bind, every address when no class is defined, and
         * no exposure at all when classes are defined (so nothing lands on an interface by accident).
         *
         * @param className a class defined by {@link #bind} or {@link #expose}, or null for the rule above
         * @return this builder
         */
        public Builder defaultClass(String className) {
            defaultClass = className;
            return this;
        }

        /** How long after a change the snapshot is rebuilt, so a burst of changes costs one. */
        Builder debounce(Duration value) {
            debounce = Objects.requireNonNull(value, "debounce");
            return this;
        }

        /**
         * Checks the settings and creates the client (when none was given); does not contact the API server.
         *
         * @return the source, not started: {@link KubernetesServiceSource#start} begins the watch
         * @throws InvalidConfigException naming the first bad setting
         */
        public KubernetesServiceSource build() {
            LabelSelectors.Selector selector = LabelSelectors.parse(labelSelector, "label selector");
            for (String ns : namespaces) {
                if (!NAMESPACE.matcher(ns).matches()) {
                    throw new InvalidConfigException("namespaces: '" + ns + "' is not a valid namespace name");
                }
            }
            KubernetesClient c = client != null ? client : createClient();
            return new KubernetesServiceSource(this, c, exposureClasses(), selector);
        }

        private ExposureClasses exposureClasses() {
            List<ExposureClasses.ExposureClass> all = new ArrayList<>();
            if (bind != null) {
                all.add(new ExposureClasses.ExposureClass(ExposureClasses.DEFAULT, bind, null));
            }
            all.addAll(classes);
            if (all.isEmpty()) {
                return ExposureClasses.wildcardDefault();
            }
            String dflt = defaultClass != null ? defaultClass : bind != null ? ExposureClasses.DEFAULT : null;
            return new ExposureClasses(all, dflt);
        }

        private KubernetesClient createClient() {
            try {
                Config config;
                if (kubeconfig != null) {
                    if (!Files.isReadable(kubeconfig)) {
                        throw new InvalidConfigException("kubeconfig '" + kubeconfig + "': no such readable file");
                    }
                    config = Config.fromKubeconfig(context, kubeconfig.toFile());
                } else {
                    config = Config.autoConfigure(context);
                }
                // The informers retry failed lists and watches themselves, with backoff; the HTTP
                // client's own retries on top (10 by default, ~100 s in all) would only delay the
                // report that the API server cannot be reached.
                config.setRequestRetryBackoffLimit(0);
                return new KubernetesClientBuilder().withConfig(config).build();
            } catch (KubernetesClientException e) {
                throw new InvalidConfigException((kubeconfig == null ? "kubeconfig" : "kubeconfig '" + kubeconfig + "'")
                        + ": " + ConnectionMonitor.reason(e), e);
            }
        }
    }
}

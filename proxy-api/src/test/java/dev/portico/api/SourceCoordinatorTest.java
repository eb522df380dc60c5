package dev.portico.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SourceCoordinatorTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final RecordingEngine engine = new RecordingEngine();
    private final RecordingEvents events = new RecordingEvents();
    private final SourceCoordinator coordinator = new SourceCoordinator(engine, events);

    @AfterEach
    void close() {
        engine.release();
        coordinator.close();
    }

    private static Frontend frontend(String bind, String backend) {
        return Frontend.builder(bind).backend(backend).build();
    }

    @Test
    void aBurstOfSnapshotsDuringAnApplyCostsOneMoreApplyOfTheLatest() throws Exception {
        engine.holdApplies();
        ControlledSource source = new ControlledSource("file");
        coordinator.add(source).start();
        source.publish(frontend(":80", "10.0.0.1:80"));
        assertThat(engine.entered.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();

        for (int i = 2; i <= 20; i++) {
            source.publish(frontend(":80", "10.0.0." + i + ":80"));
        }
        engine.release();

        await().atMost(PATIENCE).untilAsserted(() -> assertThat(coordinator.current().frontends())
                .extracting(f -> f.backends().get(0).address()).containsExactly("10.0.0.20:80"));
        assertThat(coordinator.firstApply().get(PATIENCE.toSeconds(), TimeUnit.SECONDS).changes()).isEmpty();
        assertThat(engine.applied).hasSize(2);
        assertThat(engine.applied.get(0).frontends().get(0).backends().get(0).address()).isEqualTo("10.0.0.1:80");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(events.applied).hasSize(2));
    }

    @Test
    void anErrorKeepsTheLastGoodConfigurationServingUntilTheSourceRecovers() throws Exception {
        ControlledSource source = new ControlledSource("file");
        coordinator.add(source).start();
        source.publish(frontend(":80", "10.0.0.1:80"));
        coordinator.firstApply().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        SourceError bad = new SourceError("file", "/etc/portico/a.yaml:3:5", "unknown key 'bnd'")
                .about("/etc/portico/a.yaml");
        source.listener.onError(bad);

        assertThat(events.rejected).containsExactly(bad);
        assertThat(coordinator.lastErrors()).containsEntry("file", bad);
        assertThat(coordinator.current().frontends()).extracting(Frontend::bind)
                .containsExactly(BindAddress.parse(":80"));
        assertThat(engine.applied).hasSize(1); // nothing withdrawn, nothing re-applied

        source.listener.onRecovered("file", "/etc/portico/b.yaml");
        assertThat(coordinator.lastErrors()).containsKey("file"); // another file's recovery is not this one's

        source.listener.onRecovered("file", "/etc/portico/a.yaml");
        assertThat(coordinator.lastErrors()).isEmpty();
        source.publish(frontend(":80", "10.0.0.2:80"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(coordinator.current().frontends())
                .extracting(f -> f.backends().get(0).address()).containsExactly("10.0.0.2:80"));
    }

    @Test
    void anErrorRecoversByItsSubjectNotByTheShapeOfItsPlace() {
        ControlledSource source = new ControlledSource("kubernetes");
        coordinator.add(source).start();
        // A place that does not start with its subject: the coordinator must not parse places.
        source.listener.onError(new SourceError("kubernetes", "https://10.0.0.1:6443", "watch failed")
                .about("api server"));
        source.listener.onRecovered("kubernetes", "https://10.0.0.1");
        assertThat(coordinator.lastErrors()).containsKey("kubernetes");
        source.listener.onRecovered("kubernetes", "api server");
        assertThat(coordinator.lastErrors()).isEmpty();
    }

    @Test
    void aConflictIsReportedOnceWhileItLastsAndAgainWhenItReturns() {
        ControlledSource files = new ControlledSource("file");
        ControlledSource kube = new ControlledSource("kubernetes");
        coordinator.add(files).add(kube).start();
        files.publish(frontend(":80", "10.0.0.1:80"));
        kube.publish(frontend(":80", "10.0.0.2:80"));
        await().atMost(PATIENCE).until(() -> events.conflicts.size() == 1);
        Conflict conflict = events.conflicts.get(0);
        assertThat(conflict.winner().source()).isEqualTo("file");
        assertThat(conflict.loser().source()).isEqualTo("kubernetes");

        long applied = coordinator.generation();
        kube.publish(frontend(":80", "10.0.0.2:80"), frontend(":81", "10.0.0.2:81"));
        await().atMost(PATIENCE).until(() -> coordinator.generation() > applied);
        assertThat(events.conflicts).hasSize(1);

        kube.publish(frontend(":81", "10.0.0.2:81"));
        await().atMost(PATIENCE).until(() -> coordinator.current().frontends().size() == 2);
        kube.publish(frontend(":80", "10.0.0.3:80"), frontend(":81", "10.0.0.2:81"));
        await().atMost(PATIENCE).until(() -> events.conflicts.size() == 2);
        assertThat(coordinator.current().frontends()).extracting(f -> f.backends().get(0).address())
                .containsExactly("10.0.0.1:80", "10.0.0.2:81");
    }

    @Test
    void anEngineThatFailsToApplyIsReportedAndTheNextSnapshotRetries() {
        ControlledSource source = new ControlledSource("file");
        coordinator.add(source).start();
        engine.failNext = true;
        source.publish(frontend(":80", "10.0.0.1:80"));
        await().atMost(PATIENCE).until(() -> !events.rejected.isEmpty());
        assertThat(events.rejected.get(0).source()).isEqualTo("engine");
        assertThat(coordinator.firstApply()).isNotDone();

        source.publish(frontend(":80", "10.0.0.2:80"));
        await().atMost(PATIENCE).until(() -> coordinator.firstApply().isDone());
        assertThat(coordinator.current().frontends()).hasSize(1);
    }

    @Test
    void theFirstApplyFailsWhenTheCoordinatorClosesBeforeAnyConfiguration() {
        coordinator.add(new ControlledSource("silent")).start();
        var first = coordinator.firstApply();
        first.complete(null); // a caller's copy: completing it changes nothing for others
        assertThat(coordinator.firstApply()).isNotDone();
        coordinator.close();
        assertThatThrownBy(() -> coordinator.firstApply().get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("closed before");
    }

    @Test
    void aFixedSourcePublishesItsFrontendsOnce() throws Exception {
        coordinator.add(BackendSource.fixed("demo", List.of(frontend(":80", "10.0.0.1:80")))).start();
        coordinator.firstApply().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(coordinator.current().frontends()).singleElement()
                .satisfies(f -> assertThat(f.source()).isEqualTo("demo"));
    }

    /** A source the test drives: it publishes what the test says, when the test says. */
    private static final class ControlledSource implements BackendSource {
        private final String name;
        volatile Listener listener;

        ControlledSource(String name) {
            this.name = name;
        }

        void publish(Frontend... frontends) {
            listener.onSnapshot(new Snapshot(name, List.of(frontends)));
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void start(Listener l) {
            listener = l;
        }

        @Override
        public void close() {
            // Nothing runs.
        }
    }

    /** Records every desired state it is given; can hold an apply until the test releases it. */
    private static final class RecordingEngine implements ForwardingEngine {
        final List<DesiredState> applied = new CopyOnWriteArrayList<>();
        final CountDownLatch entered = new CountDownLatch(1);
        private volatile CountDownLatch gate = new CountDownLatch(0);
        volatile boolean failNext;

        void holdApplies() {
            gate = new CountDownLatch(1);
        }

        void release() {
            gate.countDown();
        }

        @Override
        public ApplyResult apply(DesiredState desired) {
            entered.countDown();
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released the apply");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (failNext) {
                failNext = false;
                throw new IllegalStateException("engine broke");
            }
            applied.add(desired);
            return new ApplyResult(List.of(), List.of());
        }

        @Override
        public EngineStatus status() {
            throw new UnsupportedOperationException("not needed by the coordinator");
        }

        @Override
        public void close(Duration drainDeadline) {
            // Nothing runs.
        }
    }

    private static final class RecordingEvents implements ProxyEvents {
        final List<ApplyResult> applied = new CopyOnWriteArrayList<>();
        final List<SourceError> rejected = new CopyOnWriteArrayList<>();
        final List<Conflict> conflicts = new CopyOnWriteArrayList<>();

        @Override
        public void onConfigApplied(ApplyResult result) {
            applied.add(result);
        }

        @Override
        public void onConfigRejected(SourceError error) {
            rejected.add(error);
        }

        @Override
        public void onConflict(Conflict conflict) {
            conflicts.add(conflict);
        }
    }
}

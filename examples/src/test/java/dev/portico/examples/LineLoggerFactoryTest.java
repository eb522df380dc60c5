package dev.portico.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/** The launcher's own SLF4J backend: the line format, the levels and the access log's queue. */
class LineLoggerFactoryTest {

    private final PrintStream stderr = System.err;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void captureStderr() {
        System.setErr(new PrintStream(err, true, Charset.defaultCharset()));
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(stderr);
    }

    @Test
    void aLineIsUtcTimeLevelComponentAndMessageAndAnExceptionFollowsIt() {
        LineLoggerFactory factory = new LineLoggerFactory();
        factory.getLogger("portico.router").info("frontend {}: listening on {}", "web", "0.0.0.0:443");
        factory.getLogger("dev.portico.netty.FrontendRuntime").error("failed", new IllegalStateException("boom"));

        String[] lines = err.toString(Charset.defaultCharset()).split(System.lineSeparator());
        assertThat(lines[0]).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z "
                + "INFO  router  frontend web: listening on 0\\.0\\.0\\.0:443");
        assertThat(lines[1]).endsWith("Z ERROR engine  failed");
        assertThat(lines[2]).isEqualTo("java.lang.IllegalStateException: boom");
        assertThat(lines[3]).startsWith("\tat dev.portico.examples.LineLoggerFactoryTest.");
    }

    @Test
    void portico_sLoggersStartAtInfoOthersAtWarnAndVerbosityMovesBoth() {
        LineLoggerFactory factory = new LineLoggerFactory();
        Logger own = factory.getLogger("dev.portico.netty.FrontendRuntime");
        Logger launcher = factory.getLogger("portico.access");
        Logger netty = factory.getLogger("io.netty.channel.ChannelPipeline");
        assertThat(own.isInfoEnabled()).isTrue();
        assertThat(own.isDebugEnabled()).isFalse();
        assertThat(launcher.isInfoEnabled()).isTrue();
        assertThat(netty.isWarnEnabled()).isTrue();
        assertThat(netty.isInfoEnabled()).isFalse();

        factory.setLevel("ROOT", Level.DEBUG);
        factory.setLevel("portico", Level.WARN);
        assertThat(netty.isDebugEnabled()).isTrue();
        assertThat(launcher.isInfoEnabled()).isFalse();
        assertThat(own.isDebugEnabled()).isFalse(); // dev.portico keeps its own level
        assertThat(factory.getLogger("io.netty.other").isDebugEnabled()).isTrue();
    }

    @Test
    void accessLinesThatFindTheQueueFullAreDroppedCountedAndReported() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        // A terminal that does not read: the first write waits until the test lets it go.
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                written.write(b, off, len);
            }
        }, true, Charset.defaultCharset()));
        LineLoggerFactory factory = new LineLoggerFactory();
        Logger access = factory.getLogger(AccessLogEvents.LOGGER);
        int sent = LineLoggerFactory.ACCESS_QUEUE + 100;
        for (int i = 0; i < sent; i++) {
            access.info("line {}", i); // returns at once although nothing reaches stderr
        }
        // The writer thread holds at most one line outside the queue.
        assertThat(factory.accessDropped()).isBetween(99L, 100L);

        release.countDown();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(written.toString(Charset.defaultCharset())).contains("access-log lines dropped"));
        String out = written.toString(Charset.defaultCharset());
        long lines = out.lines().filter(l -> l.contains(" INFO  access  line ")).count();
        assertThat(lines + factory.accessDropped()).isLessThanOrEqualTo(sent);
        assertThat(lines).isBetween((long) LineLoggerFactory.ACCESS_QUEUE, LineLoggerFactory.ACCESS_QUEUE + 1L);
        assertThat(out).containsPattern("WARN  access  (99|100) access-log lines dropped: stderr did not keep up");
        factory.flush();
    }

    @Test
    void accessLinesFromSeveralThreadsAllArriveInOrderPerThreadInFewerWritesAndFlushWritesTheRest()
            throws Exception {
        AtomicInteger writes = new AtomicInteger();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                writes.incrementAndGet();
                written.write(b, off, len);
            }
        }, true, Charset.defaultCharset()));
        LineLoggerFactory factory = new LineLoggerFactory();
        Logger access = factory.getLogger(AccessLogEvents.LOGGER);
        int threads = 4;
        int perThread = 1000; // all of them fit in the queue: none may be dropped
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int producer = t;
            producers.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    access.info("producer={} seq={}", producer, i);
                }
            }));
        }
        producers.forEach(Thread::start);
        for (Thread p : producers) {
            p.join(30_000);
        }
        // Part of the lines is written by the writer thread, the rest by flush at shutdown.
        await().atMost(Duration.ofSeconds(30)).until(() -> writes.get() > 0);
        factory.flush();

        int[] next = new int[threads];
        Matcher m = Pattern.compile(" INFO  access  producer=(\\d+) seq=(\\d+)")
                .matcher(written.toString(Charset.defaultCharset()));
        while (m.find()) {
            int producer = Integer.parseInt(m.group(1));
            assertThat(Integer.parseInt(m.group(2))).as("producer %d", producer).isEqualTo(next[producer]);
            next[producer]++;
        }
        assertThat(next).containsOnly(perThread);
        assertThat(factory.accessDropped()).isZero();
        // Lines that arrive together share a write (a system call) instead of one write each.
        assertThat(writes.get()).isLessThanOrEqualTo(threads * perThread / 2);
    }

    @Test
    void anAccessLineBeyondAsciiIsWrittenInTheDefaultCharset() {
        LineLoggerFactory factory = new LineLoggerFactory();
        factory.getLogger(AccessLogEvents.LOGGER).info("frontend=\"caf\u00e9 \u2713\" end=client_closed");
        factory.getLogger(AccessLogEvents.LOGGER).info("frontend=plain");
        factory.flush();
        assertThat(err.toString(Charset.defaultCharset()))
                .contains(" INFO  access  frontend=\"caf\u00e9 \u2713\" end=client_closed" + System.lineSeparator())
                .contains(" INFO  access  frontend=plain" + System.lineSeparator());
    }
}

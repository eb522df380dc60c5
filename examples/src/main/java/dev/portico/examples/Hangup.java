package dev.portico.examples;

import dev.portico.api.ApplyResult;
import dev.portico.api.ProxyEvents;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import sun.misc.Signal;

/**
 * SIGHUP as operators know it from nginx and HAProxy: re-read the configuration and keep running.
 * The JVM's own SIGHUP handler runs the shutdown hooks and exits, which under
 * {@code Restart=on-failure} (exit 0) would leave the router down; this replaces it. Reloads run
 * one at a time on their own thread, in the order the signals came.
 */
final class Hangup {

    private final Logger log;
    private volatile Consumer<String> reload;

    private Hangup(Logger log) {
        this.log = log;
    }

    /** Replaces the JVM's SIGHUP handler; until {@link #reloadWith} a SIGHUP is logged and otherwise ignored. */
    static Hangup install(Logger log) {
        Hangup h = new Hangup(log);
        ExecutorService reloads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "portico-reload");
            t.setDaemon(true);
            return t;
        });
        try {
            Signal.handle(new Signal("HUP"), signal -> reloads.execute(h::hangup));
        } catch (IllegalArgumentException e) {
            // -Xrs, or a platform without SIGHUP: the default stays, and says so.
            log.warn("SIGHUP cannot be handled here ({}); configuration files are still reloaded as they change",
                    e.getMessage());
            reloads.shutdown();
        }
        return h;
    }

    /** From now on a SIGHUP calls {@code action} with the reason ({@code SIGHUP}). */
    void reloadWith(Consumer<String> action) {
        reload = action;
    }

    private void hangup() {
        Consumer<String> r = reload;
        if (r == null) {
            log.info("reload requested (SIGHUP) while starting: the start reads every source anyway");
            return;
        }
        try {
            r.accept("SIGHUP");
        } catch (RuntimeException e) {
            log.error("reload failed; the running configuration stays", e);
        }
    }

    /**
     * Counts applied configurations, so a reload can wait for the one it caused, and tells systemd
     * the new status after each.
     */
    static final class Applies implements ProxyEvents {
        private final SystemdNotifier notifier;
        private long count;

        Applies(SystemdNotifier notifier) {
            this.notifier = notifier;
        }

        @Override
        public void onConfigApplied(ApplyResult result) {
            synchronized (this) {
                count++;
                notifyAll();
            }
            notifier.statusChanged();
        }

        synchronized long count() {
            return count;
        }

        /** Waits until more than {@code seen} configurations have been applied; false after {@code timeout}. */
        synchronized boolean awaitMoreThan(long seen, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            try {
                while (count <= seen) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}

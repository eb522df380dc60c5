package dev.portico.discovery.file;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches directories with the platform's {@link WatchService} on one daemon thread and calls back
 * on any event in them. It does not tell which file changed: the caller re-reads its files and
 * compares contents, which also covers what events describe badly (a rename into place, a
 * ConfigMap's {@code ..data} symlink swap, an overflow).
 */
final class FileWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileWatcher.class);

    private final WatchService service;
    private final Runnable onChange;
    private final Thread thread;
    private final Map<Path, WatchKey> keys = new HashMap<>();

    private FileWatcher(WatchService service, Runnable onChange, String threadName) {
        this.service = service;
        this.onChange = onChange;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    /**
     * A started watcher, or {@code null} when the platform cannot watch (no inotify instances left,
     * for one); the caller's polling then carries on alone.
     */
    static FileWatcher start(Runnable onChange, String threadName) {
        try {
            FileWatcher w = new FileWatcher(FileSystems.getDefault().newWatchService(), onChange, threadName);
            w.thread.start();
            return w;
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("cannot watch config files for changes ({}); relying on polling alone", e.toString());
            return null;
        }
    }

    /**
     * Watches exactly these directories from now on: registers new ones (and ones whose watch died
     * because the directory was deleted), drops those no longer wanted. A directory that does not
     * exist is skipped; the next call after it appears registers it.
     */
    synchronized void watch(Set<Path> dirs) {
        for (Iterator<Map.Entry<Path, WatchKey>> it = keys.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Path, WatchKey> e = it.next();
            if (!dirs.contains(e.getKey()) || !e.getValue().isValid()) {
                e.getValue().cancel();
                it.remove();
            }
        }
        for (Path dir : dirs) {
            if (keys.containsKey(dir) || !Files.isDirectory(dir)) {
                continue;
            }
            try {
                keys.put(dir, dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY));
                log.debug("watching {}", dir);
            } catch (ClosedWatchServiceException e) {
                return;
            } catch (IOException e) {
                // Deleted between the check and the call, or not permitted: polling still covers it.
                log.debug("cannot watch {}: {}", dir, e.toString());
            }
        }
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = service.take();
                if (log.isTraceEnabled()) {
                    for (WatchEvent<?> event : key.pollEvents()) {
                        log.trace("{} {} in {}", event.kind().name(), event.context(), key.watchable());
                    }
                } else {
                    key.pollEvents();
                }
                key.reset();
                onChange.run();
            }
        } catch (ClosedWatchServiceException e) {
            log.debug("watch service closed; watcher thread ends");
        } catch (InterruptedException e) {
            log.debug("watcher thread interrupted; it ends");
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("config file watcher failed; changes are now picked up by polling only", e);
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            log.warn("closing the watch service failed: {}", e.toString());
        }
        thread.interrupt();
    }
}

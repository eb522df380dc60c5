package dev.portico.examples;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The launcher's logging: one line per message on stderr, UTC timestamps, a short component name.
 * <pre>2026-11-26T08:40:01.123Z INFO  router  frontend web (:443): listening on 0.0.0.0:443</pre>
 * Portico's loggers start at INFO, everyone else's at WARN; {@link Logging#configure} moves both
 * for {@code -v}/{@code -q}. Levels are inherited along the dots of a logger's name, as in logback.
 * The access log ({@value AccessLogEvents#LOGGER}) is written on I/O threads, so it goes through a
 * bounded queue and a writer thread: lines are dropped, and counted, rather than block an I/O
 * thread when stderr cannot keep up; the writer sleeps until a line comes, then writes what
 * came within {@link #ACCESS_BATCH_NANOS} with one write. The other loggers write at once (they
 * are rare).
 */
final class LineLoggerFactory implements ILoggerFactory {

    /** Access-log lines that may wait for stderr before new ones are dropped. */
    static final int ACCESS_QUEUE = 4096;
    /**
     * How long the writer, once woken, lets lines gather before it writes them all with one
     * write(2): with a wake-up and a write per line the access log cost two system calls and a
     * futex per connection (benchmarks/README.md, "Per-connection cost").
     */
    static final long ACCESS_BATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Whether ASCII characters are their own single byte in the default charset (UTF-8, Latin-1, ...). */
    private static final boolean ASCII_COMPATIBLE = asciiIsOneByte(Charset.defaultCharset());

    private static final String ROOT = "";

    private final ConcurrentMap<String, LineLogger> loggers = new ConcurrentHashMap<>();
    /** Levels set by name, {@link #ROOT} for the root; guarded by {@code this}. */
    private final Map<String, Level> levels = new HashMap<>();
    private final Object writeLock = new Object();
    // The access lines of one write, encoded; guarded by writeLock.
    private byte[] accessBatch = new byte[8192];
    private int accessBatchLength;
    // Lines as built, not copied into Strings on the I/O thread: the writer encodes them.
    private final ConcurrentLinkedQueue<StringBuilder> accessQueue = new ConcurrentLinkedQueue<>();
    /** Lines queued or being written: the bound counts both, so a slow stderr holds at most ACCESS_QUEUE. */
    private final AtomicInteger accessPending = new AtomicInteger();
    private final AtomicLong accessDropped = new AtomicLong();
    /** Set by the writer before it parks for want of lines; the producer that clears it wakes it. */
    private final AtomicBoolean accessWriterParked = new AtomicBoolean();
    private volatile Thread accessWriter; // written under this; started with the first access line
    private volatile boolean stopped;
    /** The timestamp up to the seconds, made once a second; replaced whole, so read without a lock. */
    private volatile Second second = new Second(Long.MIN_VALUE, "");

    private record Second(long epochSecond, String prefix) {
    }

    LineLoggerFactory() {
        levels.put(ROOT, Level.WARN);
        levels.put("dev.portico", Level.INFO);
        levels.put("portico", Level.INFO);
    }

    @Override
    public Logger getLogger(String name) {
        LineLogger logger = loggers.get(name);
        if (logger != null) {
            return logger;
        }
        synchronized (this) {
            return loggers.computeIfAbsent(name, n -> new LineLogger(n, this, threshold(n)));
        }
    }

    /** Sets the level of a logger and the ones below it that have none of their own; null inherits. */
    synchronized void setLevel(String name, Level level) {
        String key = Logger.ROOT_LOGGER_NAME.equals(name) ? ROOT : name;
        if (level == null && !key.equals(ROOT)) {
            levels.remove(key);
        } else if (level != null) {
            levels.put(key, level);
        }
        for (LineLogger logger : loggers.values()) {
            logger.threshold = threshold(logger.getName());
        }
    }

    /** Access-log lines dropped since the last report of them. */
    long accessDropped() {
        return accessDropped.get();
    }

    private int threshold(String name) {
        String n = Logger.ROOT_LOGGER_NAME.equals(name) ? ROOT : name;
        while (true) {
            Level level = levels.get(n);
            if (level != null) {
                return level.toInt();
            }
            int dot = n.lastIndexOf('.');
            n = dot < 0 ? ROOT : n.substring(0, dot);
        }
    }

    void write(LineLogger logger, Level level, String message, Throwable throwable) {
        long now = System.currentTimeMillis();
        if (logger.access && !stopped) {
            StringBuilder line = format(now, level, logger.component, message, throwable);
            if (accessPending.incrementAndGet() > ACCESS_QUEUE) {
                accessPending.decrementAndGet();
                accessDropped.incrementAndGet();
                return;
            }
            accessQueue.add(line);
            Thread writer = accessWriter;
            if (writer == null) {
                startAccessWriter();
            } else if (accessWriterParked.get() && accessWriterParked.compareAndSet(true, false)) {
                LockSupport.unpark(writer);
            }
            if (stopped) {
                // flush() may have emptied the queue just before this line came: write it here.
                synchronized (writeLock) {
                    writeQueued();
                }
            }
            return;
        }
        String line = format(now, level, logger.component, message, throwable).toString();
        synchronized (writeLock) {
            print(line);
        }
    }

    /**
     * Writes out what the access-log queue still holds and writes later lines at once; for the very
     * end of the process, since {@code Runtime.halt} and {@code System.exit} do not wait for the
     * writer thread.
     */
    void flush() {
        stopped = true;
        Thread writer;
        synchronized (this) {
            writer = accessWriter;
        }
        if (writer != null) {
            writer.interrupt();
            try {
                writer.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (writeLock) {
            writeQueued();
            reportDropped();
        }
    }

    private void startAccessWriter() {
        synchronized (this) {
            if (accessWriter == null && !stopped) {
                accessWriter = new Thread(this::drainAccessLog, "portico-access-log");
                accessWriter.setDaemon(true);
                accessWriter.start();
            }
        }
    }

    private void drainAccessLog() {
        Thread self = Thread.currentThread();
        while (!stopped && !self.isInterrupted()) {
            synchronized (writeLock) {
                writeQueued();
                reportDropped();
            }
            // Park until a producer sees the flag; the queue is checked after setting it, so a
            // line added before the flag was visible is not left waiting.
            accessWriterParked.set(true);
            if (accessQueue.isEmpty() && !stopped) {
                LockSupport.park(this);
            }
            accessWriterParked.set(false);
            if (!stopped) {
                LockSupport.parkNanos(this, ACCESS_BATCH_NANOS);
            }
        }
        // flush() (the only one to stop or interrupt this thread) writes what is left itself.
    }

    /** Writes every queued access line with one write; under writeLock. */
    private void writeQueued() {
        int lines = 0;
        for (StringBuilder line; (line = accessQueue.poll()) != null; lines++) {
            int n = line.length();
            int i = 0;
            if (ASCII_COMPATIBLE) {
                ensureBatchRoom(n);
                for (char ch; i < n && (ch = line.charAt(i)) < 0x80; i++) {
                    accessBatch[accessBatchLength++] = (byte) ch;
                }
            }
            if (i < n) {
                byte[] rest = line.substring(i).getBytes(Charset.defaultCharset());
                ensureBatchRoom(rest.length);
                System.arraycopy(rest, 0, accessBatch, accessBatchLength, rest.length);
                accessBatchLength += rest.length;
            }
        }
        if (lines > 0) {
            System.err.write(accessBatch, 0, accessBatchLength);
            System.err.flush();
            // A burst may have grown it: keep a small one for the usual trickle.
            if (accessBatch.length > 65536) {
                accessBatch = new byte[8192];
            }
            accessBatchLength = 0;
            accessPending.addAndGet(-lines);
        }
    }

    private void ensureBatchRoom(int bytes) {
        if (accessBatchLength + bytes > accessBatch.length) {
            accessBatch = Arrays.copyOf(accessBatch, Math.max(accessBatch.length * 2, accessBatchLength + bytes));
        }
    }

    private static boolean asciiIsOneByte(Charset charset) {
        byte[] ascii = new byte[128];
        for (int i = 0; i < ascii.length; i++) {
            ascii[i] = (byte) i;
        }
        return Arrays.equals(new String(ascii, StandardCharsets.US_ASCII).getBytes(charset), ascii);
    }

    private void reportDropped() {
        long dropped = accessDropped.getAndSet(0);
        if (dropped > 0) {
            print(format(System.currentTimeMillis(), Level.WARN, "access",
                    dropped + " access-log lines dropped: stderr did not keep up", null).toString());
        }
    }

    private void print(String line) {
        // System.err at every line, as logback's console appender did, and in the JVM's default
        // charset, as its encoder did.
        byte[] bytes = line.getBytes(Charset.defaultCharset());
        System.err.write(bytes, 0, bytes.length);
        System.err.flush();
    }

    /** {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level %-7component %msg%n} and the stack trace. */
    private StringBuilder format(long millis, Level level, String component, String message, Throwable throwable) {
        StringBuilder b = new StringBuilder(80 + (message == null ? 4 : message.length()));
        b.append(secondPrefix(Math.floorDiv(millis, 1000)));
        int ms = (int) Math.floorMod(millis, 1000);
        b.append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10));
        b.append("Z ");
        pad(b, level.name(), 5);
        b.append(' ');
        pad(b, component, 7);
        b.append(' ').append(message).append(System.lineSeparator());
        if (throwable != null) {
            StringWriter trace = new StringWriter();
            throwable.printStackTrace(new PrintWriter(trace));
            b.append(trace);
        }
        return b;
    }

    private String secondPrefix(long epochSecond) {
        Second cached = second;
        if (cached.epochSecond() == epochSecond) {
            return cached.prefix();
        }
        LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
        StringBuilder b = new StringBuilder(20);
        int year = t.getYear();
        if (year < 1000) {
            b.append("000", 0, year < 10 ? 3 : year < 100 ? 2 : 1);
        }
        b.append(year).append('-');
        two(b, t.getMonthValue()).append('-');
        two(b, t.getDayOfMonth()).append('T');
        two(b, t.getHour()).append(':');
        two(b, t.getMinute()).append(':');
        two(b, t.getSecond()).append('.');
        String prefix = b.toString();
        second = new Second(epochSecond, prefix);
        return prefix;
    }

    private static StringBuilder two(StringBuilder b, int value) {
        return b.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }

    private static void pad(StringBuilder b, String s, int width) {
        b.append(s);
        for (int i = s.length(); i < width; i++) {
            b.append(' ');
        }
    }
}

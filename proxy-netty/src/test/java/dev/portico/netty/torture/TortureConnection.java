package dev.portico.netty.torture;

import dev.portico.netty.torture.Scenario.Order;
import dev.portico.netty.torture.Scenario.Side;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one {@link Scenario}: a client socket through the proxy and the backend socket it reaches,
 * each with a writer and a reader thread, and checks the property on both directions: every byte
 * a peer wrote before its FIN reaches the other peer, in order, before the EOF; a reset arrives as
 * a reset; nothing else arrives.
 */
final class TortureConnection {
    /** How a reader's stream ended. */
    enum End { EOF, RESET, MISMATCH, TIMEOUT, ERROR, ABORTED_HERE }

    /** What one reader saw. */
    record Received(long bytes, End end, String detail) {
        @Override
        public String toString() {
            return bytes + " B then " + end + (detail == null ? "" : " (" + detail + ")");
        }
    }

    private static final int READ_TIMEOUT_MS = 120_000;

    final Scenario scenario;
    private final ServerSocket backendListener;
    private final InetSocketAddress proxy;
    private volatile Socket clientSocket;
    private volatile Socket backendSocket;
    private final CompletableFuture<Received> toClient = new CompletableFuture<>();
    private final CompletableFuture<Received> toBackend = new CompletableFuture<>();
    private final List<String> writeErrors = new java.util.concurrent.CopyOnWriteArrayList<>();
    // A reset is reported to whichever call on the socket comes first: when that is the writer's,
    // the reader then sees a plain EOF, so the peer's view of a reset is the two together.
    private volatile boolean clientWriterSawReset;
    private volatile boolean backendWriterSawReset;
    // IDLE connections only: when each direction's bytes moved, to judge an end by the idle timeout.
    private final StreamLog toBackendLog;
    private final StreamLog toClientLog;
    private volatile long startedNanos;
    private String idleNote;

    TortureConnection(Scenario scenario, ServerSocket backendListener, InetSocketAddress proxy) {
        this.scenario = scenario;
        this.backendListener = backendListener;
        this.proxy = proxy;
        boolean idle = scenario.order() == Order.IDLE;
        this.toBackendLog = idle ? new StreamLog() : null;
        this.toClientLog = idle ? new StreamLog() : null;
    }

    /** Opens the backend listener of a scenario, its receive buffer set for the connection it accepts. */
    static ServerSocket listen(Scenario s) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.setReceiveBufferSize(s.backend().receiveBuffer());
        ss.bind(new InetSocketAddress("127.0.0.1", 0), 4);
        ss.setSoTimeout(READ_TIMEOUT_MS);
        return ss;
    }

    /** Starts both peers on {@code pool}; the future completes when both directions have ended. */
    CompletableFuture<Void> start(ExecutorService pool) {
        startedNanos = System.nanoTime();
        CompletableFuture<Void> backendSide = CompletableFuture.runAsync(this::runBackend, pool);
        CompletableFuture<Void> clientSide = CompletableFuture.runAsync(this::runClient, pool);
        return CompletableFuture.allOf(backendSide, clientSide, toClient, toBackend);
    }

    private void runClient() {
        Socket s = new Socket();
        try {
            s.setReceiveBufferSize(scenario.client().receiveBuffer());
            s.setSoTimeout(READ_TIMEOUT_MS);
            s.connect(proxy, 30_000);
        } catch (IOException e) {
            toClient.complete(new Received(0, End.ERROR, "connect to the proxy failed: " + e));
            closeQuietly(s);
            return;
        }
        clientSocket = s;
        peer(s, true);
    }

    private void runBackend() {
        Socket s;
        try {
            s = backendListener.accept();
            s.setSoTimeout(READ_TIMEOUT_MS);
        } catch (IOException e) {
            toBackend.complete(new Received(0, End.ERROR, "backend accepted nothing: " + e));
            return;
        } finally {
            closeQuietly(backendListener);
        }
        backendSocket = s;
        peer(s, false);
    }

    /** One peer: its writer starts at once or after its reader's EOF, as the order says. */
    private void peer(Socket s, boolean isClient) {
        Side me = isClient ? scenario.client() : scenario.backend();
        Side other = isClient ? scenario.backend() : scenario.client();
        CompletableFuture<Received> mine = isClient ? toClient : toBackend;
        Order order = scenario.order();
        boolean writeAfterEof = isClient ? order == Order.BACKEND_FIRST : order == Order.CLIENT_FIRST;
        StreamLog in = isClient ? toClientLog : toBackendLog;
        Thread reader = new Thread(() -> mine.complete(read(s, other, me, in)), "torture-read");
        reader.setDaemon(true);
        reader.start();
        if (writeAfterEof) {
            Received r = mine.join();
            if (r.end() != End.EOF) {
                finish(s, isClient);
                return;
            }
        }
        write(s, me, isClient);
        // The reader ends by itself (EOF, reset, read timeout), or the round's deadline aborts it.
        mine.join();
        finish(s, isClient);
    }

    private void finish(Socket s, boolean isClient) {
        closeQuietly(s);
    }

    private void write(Socket s, Side me, boolean isClient) {
        Scenario.Reset reset = scenario.reset();
        boolean resetHere = reset != null && reset.byClient() == isClient;
        long total = resetHere ? reset.afterBytes() : me.bytes();
        Random r = new Random(me.key());
        byte[] buf = new byte[me.maxWrite()];
        long sent = 0;
        StreamLog log = isClient ? toBackendLog : toClientLog;
        try {
            OutputStream out = s.getOutputStream();
            while (sent < total) {
                int n = (int) Math.min(total - sent, 1 + r.nextInt(me.maxWrite()));
                Pattern.fill(me.key(), sent, buf, 0, n);
                long issued = System.nanoTime();
                out.write(buf, 0, n);
                sent += n;
                if (log != null) {
                    log.wrote(sent, issued, System.nanoTime());
                }
            }
            out.flush();
            if (resetHere) {
                s.setSoLinger(true, 0);
                s.close();
            } else if (scenario.order() != Order.IDLE) {
                s.shutdownOutput();
            }
        } catch (IOException e) {
            if (log != null) {
                log.writeFailed(System.nanoTime());
            }
            writeErrors.add((isClient ? "client" : "backend") + " writer failed after " + sent + " B: " + e);
            if (String.valueOf(e.getMessage()).contains("reset")) {
                if (isClient) {
                    clientWriterSawReset = true;
                } else {
                    backendWriterSawReset = true;
                }
            }
        }
    }

    /** Reads the stream of {@code from} until it ends, checking every byte. */
    private Received read(Socket s, Side from, Side me, StreamLog log) {
        Received r = readAll(s, from, me, log);
        if (log != null) {
            log.ended(System.nanoTime());
        }
        return r;
    }

    private Received readAll(Socket s, Side from, Side me, StreamLog log) {
        byte[] buf = new byte[me.readBuffer()];
        byte[] scratch = new byte[me.readBuffer()];
        long got = 0;
        long nextStall = me.stallEvery() == 0 ? Long.MAX_VALUE : me.stallEvery();
        try {
            InputStream in = s.getInputStream();
            int n;
            while (true) {
                if (log != null) {
                    log.reading(System.nanoTime());
                }
                n = in.read(buf);
                if (n < 0) {
                    break;
                }
                int bad = Pattern.firstMismatch(from.key(), got, buf, 0, n, scratch);
                if (bad >= 0) {
                    return new Received(got + bad, End.MISMATCH, "byte " + (got + bad) + " differs");
                }
                got += n;
                if (log != null) {
                    log.read(got, System.nanoTime());
                }
                if (got > from.bytes()) {
                    return new Received(got, End.MISMATCH, "more bytes than were sent");
                }
                if (got >= nextStall) {
                    // A slow reader: the peer's writes pile up in the proxy meanwhile.
                    LockSupport.parkNanos(me.stallMicros() * 1000L);
                    nextStall += me.stallEvery();
                }
            }
            return new Received(got, End.EOF, null);
        } catch (java.net.SocketTimeoutException e) {
            return new Received(got, End.TIMEOUT, "no byte for " + READ_TIMEOUT_MS + " ms");
        } catch (SocketException e) {
            if (s.isClosed()) {
                return new Received(got, End.ABORTED_HERE, null);
            }
            String m = String.valueOf(e.getMessage());
            return new Received(got, m.contains("reset") ? End.RESET : End.ERROR, m);
        } catch (IOException e) {
            return new Received(got, End.ERROR, e.toString());
        }
    }

    /** Everything wrong with this connection, empty when the property holds. */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        Scenario.Reset reset = scenario.reset();
        check(out, "to the backend", toBackend.join(), backendWriterSawReset, scenario.client(), reset, true);
        check(out, "to the client", toClient.join(), clientWriterSawReset, scenario.backend(), reset, false);
        if (reset == null) {
            out.addAll(writeErrors);
        }
        if (out.isEmpty() || toBackendLog == null || !endedByPeerOrProxy(toBackend.join())
                || !endedByPeerOrProxy(toClient.join())) {
            return out;
        }
        // An IDLE connection that ended early: right only if nothing moved for the idle timeout.
        List<String> wrong = new ArrayList<>();
        String note = IdleJudge.judge(wrong, startedNanos, Scenario.IDLE_TIMEOUT, toBackendLog, toClientLog);
        if (note == null) {
            out.addAll(wrong);
            return out;
        }
        idleNote = note + "; what the peers saw: " + String.join("; ", out);
        return List.of();
    }

    private static boolean endedByPeerOrProxy(Received r) {
        return r.end() == End.EOF || r.end() == End.RESET;
    }

    /**
     * Why the proxy was right to end this connection early, after {@link #problems()} found
     * nothing wrong with one that ended so; {@code null} when it did not end early.
     */
    String idleNote() {
        return idleNote;
    }

    private static void check(List<String> out, String direction, Received r, boolean receiverWriterSawReset,
                              Side sender, Scenario.Reset reset, boolean senderIsClient) {
        if (r.end() == End.MISMATCH || r.end() == End.TIMEOUT || r.end() == End.ERROR) {
            out.add(direction + ": " + r);
            return;
        }
        if (reset == null) {
            if (r.end() != End.EOF || r.bytes() != sender.bytes()) {
                out.add(direction + ": expected all " + sender.bytes() + " B then EOF, got " + r);
            }
            return;
        }
        if (reset.byClient() == senderIsClient) {
            // The sender aborted: the receiver gets a prefix of what was sent, then a reset, never an EOF.
            boolean sawReset = r.end() == End.RESET || r.end() == End.EOF && receiverWriterSawReset;
            if (!sawReset || r.bytes() > reset.afterBytes()) {
                out.add(direction + ": the sender reset after " + reset.afterBytes() + " B, so a prefix then RESET was "
                        + "expected; got " + r);
            }
        }
        // The receiver itself aborted: what it read before was checked byte by byte above.
    }

    /** Where each side stands, for a connection that did not finish in time. */
    String progress() {
        return "to the backend: " + (toBackend.isDone() ? toBackend.join() : "still reading")
                + "; to the client: " + (toClient.isDone() ? toClient.join() : "still reading");
    }

    void abort() {
        closeQuietly(clientSocket);
        closeQuietly(backendSocket);
        closeQuietly(backendListener);
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException e) {
            // Closing a socket of a finished or aborted test connection: nothing left to report.
        }
    }
}

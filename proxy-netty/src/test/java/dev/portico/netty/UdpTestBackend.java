package dev.portico.netty;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real UDP server on 127.0.0.1: answers every datagram with {@code answers} datagrams, each the
 * request prefixed by its id ({@code a:}), or the request unchanged when the id is empty (echo).
 */
final class UdpTestBackend implements AutoCloseable {
    private final DatagramSocket socket;
    private final String id;
    private final int answers;
    private final Thread thread;
    final AtomicInteger received = new AtomicInteger();
    /** The source ports it saw: one per flow through the proxy. */
    final Set<Integer> sourcePorts = ConcurrentHashMap.newKeySet();
    final LinkedBlockingQueue<Throwable> failures = new LinkedBlockingQueue<>();
    /** With {@link #proxyV2}: the PROXY header read from each datagram, in order. */
    final LinkedBlockingQueue<ProxyProtocolParser.Header> headers = new LinkedBlockingQueue<>();
    private final boolean proxyV2;

    UdpTestBackend(String id, int answers) throws SocketException {
        this(id, answers, InetAddress.getLoopbackAddress(), false);
    }

    /**
     * A backend on {@code host} that, when {@code proxyV2}, reads a PROXY v2 header at the start of
     * every datagram (a datagram without one is a failure) and answers the payload after it.
     */
    UdpTestBackend(String id, int answers, InetAddress host, boolean proxyV2) throws SocketException {
        this.socket = new DatagramSocket(new InetSocketAddress(host, 0));
        this.id = id;
        this.answers = answers;
        this.proxyV2 = proxyV2;
        thread = new Thread(this::serve, "udp-backend-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    static UdpTestBackend echo() throws SocketException {
        return new UdpTestBackend("", 1);
    }

    String address() {
        InetAddress a = socket.getLocalAddress();
        return a instanceof java.net.Inet6Address ? "[" + a.getHostAddress() + "]:" + socket.getLocalPort()
                : a.getHostAddress() + ":" + socket.getLocalPort();
    }

    private void serve() {
        byte[] buf = new byte[65_536];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    failures.add(e);
                }
                return;
            }
            received.incrementAndGet();
            sourcePorts.add(p.getPort());
            int offset = p.getOffset();
            int length = p.getLength();
            if (proxyV2) {
                ByteArrayInputStream in = new ByteArrayInputStream(p.getData(), offset, length);
                try {
                    headers.add(ProxyProtocolParser.read(in));
                } catch (IOException e) {
                    failures.add(e);
                    continue;
                }
                offset += length - in.available();
                length = in.available();
            }
            byte[] prefix = id.isEmpty() ? new byte[0] : (id + ":").getBytes(StandardCharsets.UTF_8);
            byte[] out = Arrays.copyOf(prefix, prefix.length + length);
            System.arraycopy(p.getData(), offset, out, prefix.length, length);
            try {
                for (int i = 0; i < answers; i++) {
                    socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                }
            } catch (IOException e) {
                failures.add(e);
            }
        }
    }

    /**
     * Closes the socket and waits for its thread: a thread blocked in receive keeps the port bound
     * (and may still take a datagram) until it returns.
     */
    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(10_000);
        if (thread.isAlive()) {
            throw new AssertionError("backend " + id + " did not stop");
        }
    }
}

package dev.portico.netty;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A client socket on 127.0.0.1 (one flow) with a bounded receive wait; no send is ever retried. */
final class UdpClient implements AutoCloseable {
    final DatagramSocket socket;
    private final InetSocketAddress target;

    UdpClient(InetSocketAddress target) throws IOException {
        this(target, InetAddress.getLoopbackAddress());
    }

    UdpClient(InetSocketAddress target, InetAddress local) throws IOException {
        this.socket = new DatagramSocket(new InetSocketAddress(local, 0));
        socket.setSoTimeout(10_000);
        this.target = target;
    }

    void send(byte[] data) throws IOException {
        socket.send(new DatagramPacket(data, data.length, target));
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    byte[] receive() throws IOException {
        byte[] buf = new byte[65_536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        if (!p.getSocketAddress().equals(target)) {
            throw new AssertionError("answer from " + p.getSocketAddress() + ", not from the frontend " + target);
        }
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    String receiveText() throws IOException {
        return new String(receive(), StandardCharsets.UTF_8);
    }

    String ask(String text) throws IOException {
        send(text);
        return receiveText();
    }

    @Override
    public void close() {
        socket.close();
    }
}

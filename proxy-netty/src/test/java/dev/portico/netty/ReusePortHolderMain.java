package dev.portico.netty;

import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;

/**
 * Another process for {@link ForeignListenersTest}: binds {@code 127.0.0.1:PORT} with SO_REUSEPORT
 * (TCP listening, or UDP with {@code udp}), prints the port, and holds it until its stdin closes.
 */
public final class ReusePortHolderMain {
    private ReusePortHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        boolean udp = args.length > 1 && args[1].equals("udp");
        try (NetworkChannel ch = udp ? DatagramChannel.open() : ServerSocketChannel.open()) {
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
            System.out.println(((InetSocketAddress) ch.getLocalAddress()).getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // holds the port until the test closes our stdin
            }
        }
    }
}

package dev.portico.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading the server name from the first bytes of a connection, without consuming them. */
class ClientHelloTest {

    /** A minimal ClientHello handshake message, with a server_name extension when {@code name} is given. */
    static byte[] hello(String name, int paddingBytes) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(3);
        body.writeBytes(new byte[32]); // random
        body.write(0); // session id
        body.writeBytes(new byte[]{0, 2, 0x13, 0x01}); // one cipher suite
        body.writeBytes(new byte[]{1, 0}); // null compression
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        if (paddingBytes > 0) {
            u16(ext, 21);
            u16(ext, paddingBytes);
            ext.writeBytes(new byte[paddingBytes]);
        }
        if (name != null) {
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            u16(ext, 0);
            u16(ext, n.length + 5);
            u16(ext, n.length + 3);
            ext.write(0);
            u16(ext, n.length);
            ext.writeBytes(n);
        }
        u16(body, ext.size());
        body.writeBytes(ext.toByteArray());
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        msg.write(1);
        msg.write(body.size() >> 16);
        u16(msg, body.size() & 0xffff);
        msg.writeBytes(body.toByteArray());
        return msg.toByteArray();
    }

    private static void u16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }

    /** The handshake in records of at most {@code size} payload bytes. */
    static ByteBuf records(byte[] handshake, int size) {
        ByteBuf out = Unpooled.buffer();
        for (int at = 0; at < handshake.length; at += size) {
            int n = Math.min(size, handshake.length - at);
            out.writeBytes(new byte[]{22, 3, 1, (byte) (n >> 8), (byte) n});
            out.writeBytes(handshake, at, n);
        }
        return out;
    }

    private static ClientHello.Result inspect(ByteBuf in) {
        return ClientHello.inspect(in, ClientHello.DEFAULT_MAX_SIZE);
    }

    @Test
    void theNameIsReadLowerCaseWithoutATrailingDotAndNothingIsConsumed() {
        ByteBuf in = records(hello("Grafana.Example.ORG.", 0), 16384);
        int before = in.readableBytes();
        ClientHello.Result r = inspect(in);
        assertThat(r.kind()).isEqualTo(ClientHello.Kind.DONE);
        assertThat(r.serverName()).isEqualTo("grafana.example.org");
        assertThat(in.readableBytes()).isEqualTo(before);
    }

    @Test
    void everyPrefixOfAHelloInManyRecordsAsksForMoreAndTheWholeOneIsRead() {
        ByteBuf all = records(hello("a.example.org", 3000), 7);
        for (int n = 0; n < all.readableBytes(); n++) {
            assertThat(inspect(all.slice(0, n)).kind()).as("prefix %d", n)
                    .isEqualTo(ClientHello.Kind.NEED_MORE);
        }
        assertThat(inspect(all).serverName()).isEqualTo("a.example.org");
    }

    @Test
    void aHelloWithoutServerNameIsDoneWithNone() {
        ClientHello.Result r = inspect(records(hello(null, 10), 16384));
        assertThat(r.kind()).isEqualTo(ClientHello.Kind.DONE);
        assertThat(r.serverName()).isNull();
    }

    @Test
    void aHelloOverTheLimitIsTooLarge() {
        assertThat(inspect(records(hello("a.example.org", 17000), 1000)).kind())
                .isEqualTo(ClientHello.Kind.TOO_LARGE);
    }

    @Test
    void underARaisedLimitAHelloLargerThanOneRecordIsRead() {
        // 17000 bytes of padding do not fit one record (16384 bytes at most): the hello spans two.
        ByteBuf in = records(hello("Big.Example.org", 17000), 16384);
        ClientHello.Result r = ClientHello.inspect(in, 64 * 1024);
        assertThat(r.kind()).isEqualTo(ClientHello.Kind.DONE);
        assertThat(r.serverName()).isEqualTo("big.example.org");
        assertThat(ClientHello.inspect(in, 16 * 1024).kind()).isEqualTo(ClientHello.Kind.TOO_LARGE);
    }

    @Test
    void otherBytesAreNotTlsFromTheFirstByteOn() {
        assertThat(inspect(Unpooled.wrappedBuffer(new byte[]{'G'})).kind())
                .isEqualTo(ClientHello.Kind.NOT_TLS);
        ByteBuf interrupted = records(hello("a.example.org", 100), 50).slice(0, 55);
        ByteBuf withAlert = Unpooled.wrappedBuffer(interrupted, Unpooled.wrappedBuffer(new byte[]{21, 3, 1, 0, 2, 2, 40}));
        assertThat(inspect(withAlert).problem()).contains("another type");
        ByteBuf notHello = records(hello("a.example.org", 0), 16384);
        notHello.setByte(5, 2); // a ServerHello
        assertThat(inspect(notHello).problem()).contains("not a ClientHello");
    }
}

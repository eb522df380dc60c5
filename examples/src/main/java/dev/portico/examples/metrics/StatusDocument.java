package dev.portico.examples.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.portico.api.EngineStatus;
import dev.portico.api.EngineStatus.BackendStatus;
import dev.portico.api.EngineStatus.FrontendStatus;
import dev.portico.api.SourceError;
import io.netty.buffer.ByteBuf;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code /status} JSON: what runs (frontends, their backends, connection counts) and what the
 * sources could not use. Field names are part of the router's interface: add, do not rename.
 * Written a frontend at a time through one generator, so ten thousand frontends never sit in
 * memory as a tree or as one byte array.
 */
final class StatusDocument implements StreamedBody {

    private static final JsonFactory JSON = new JsonFactory();

    private final String version;
    private final EngineStatus status;
    private final List<String> sources;
    private final Map<String, SourceError> errors;
    private final Map<String, String> watchStates;
    private final Target target = new Target();
    private final JsonGenerator gen;
    /** -1 before the head is written, then the index of the next frontend; frontends().size() + 1 when done. */
    private int next = -1;

    StatusDocument(String version, EngineStatus status, List<String> sources, Map<String, SourceError> errors,
                   Map<String, String> watchStates) {
        this.version = version;
        this.status = status;
        this.sources = sources;
        this.errors = errors;
        this.watchStates = watchStates;
        try {
            gen = JSON.createGenerator(target).useDefaultPrettyPrinter();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the generator writes: the chunk being filled. */
    private static final class Target extends OutputStream {
        ByteBuf out;

        @Override
        public void write(int b) {
            out.writeByte(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            out.writeBytes(b, off, len);
        }
    }

    @Override
    public boolean writeSome(ByteBuf out, int atLeast) {
        List<FrontendStatus> frontends = status.frontends();
        target.out = out;
        try {
            while (next <= frontends.size() && out.readableBytes() < atLeast) {
                if (next < 0) {
                    head();
                } else if (next < frontends.size()) {
                    frontend(frontends.get(next));
                } else {
                    tail();
                }
                next++;
                gen.flush();
            }
            return next <= frontends.size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            target.out = null;
        }
    }

    private void head() throws IOException {
        gen.writeStartObject();
        gen.writeStringField("version", version);
        gen.writeStringField("transport", status.transport());
        gen.writeNumberField("activeConnections", status.activeConnections());
        gen.writeArrayFieldStart("frontends");
    }

    private void frontend(FrontendStatus f) throws IOException {
        gen.writeStartObject();
        gen.writeStringField("name", f.name());
        gen.writeStringField("source", f.source());
        gen.writeStringField("bind", String.valueOf(f.bind()));
        if (!f.sni().isEmpty()) {
            // The names a TLS client sends to reach this frontend on a port it shares by name.
            gen.writeArrayFieldStart("sni");
            for (String name : f.sni()) {
                gen.writeString(name);
            }
            gen.writeEndArray();
        }
        gen.writeStringField("boundAddress", address(f.boundAddress()));
        gen.writeStringField("state", f.state().name().toLowerCase(Locale.ROOT));
        gen.writeStringField("error", f.error());
        gen.writeNumberField("activeConnections", f.activeConnections());
        gen.writeNumberField("totalConnections", f.totalConnections());
        gen.writeNumberField("bufferedBytes", f.bufferedBytes());
        gen.writeStringField("protocol", f.protocol().configName());
        if (f.udp() != null) {
            // For UDP the connection counts above count flows; these say so, with the datagram counters.
            EngineStatus.UdpStatus u = f.udp();
            gen.writeObjectFieldStart("udp");
            gen.writeNumberField("activeFlows", f.activeConnections());
            gen.writeNumberField("totalFlows", f.totalConnections());
            gen.writeNumberField("datagramsFromClients", u.datagramsFromClient());
            gen.writeNumberField("datagramsToClients", u.datagramsToClient());
            gen.writeNumberField("bytesFromClients", u.bytesFromClient());
            gen.writeNumberField("bytesToClients", u.bytesToClient());
            gen.writeObjectFieldStart("dropped");
            gen.writeNumberField("noBackend", u.droppedNoBackend());
            gen.writeNumberField("flowLimit", u.droppedFlowLimit());
            gen.writeNumberField("denied", u.droppedDenied());
            gen.writeNumberField("tooLarge", u.droppedTooLarge());
            gen.writeNumberField("sendFailure", u.droppedSendFailure());
            gen.writeEndObject();
            gen.writeEndObject();
        }
        gen.writeArrayFieldStart("backends");
        for (BackendStatus b : f.backends()) {
            gen.writeStartObject();
            gen.writeStringField("address", b.backend().address());
            gen.writeNumberField("weight", b.backend().weight());
            gen.writeBooleanField("healthy", b.healthy());
            gen.writeNumberField("activeConnections", b.activeConnections());
            gen.writeStringField("lastError", b.lastError());
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeEndObject();
    }

    private void tail() throws IOException {
        gen.writeEndArray();
        Set<String> names = new LinkedHashSet<>(sources);
        names.addAll(errors.keySet());
        names.addAll(watchStates.keySet());
        gen.writeArrayFieldStart("sources");
        for (String name : names) {
            gen.writeStartObject();
            gen.writeStringField("name", name);
            SourceError e = errors.get(name);
            if (e == null) {
                gen.writeNullField("lastError");
            } else {
                gen.writeObjectFieldStart("lastError");
                gen.writeStringField("place", e.place());
                gen.writeStringField("message", e.message());
                gen.writeStringField("at", e.at().toString());
                gen.writeEndObject();
            }
            String watch = watchStates.get(name);
            if (watch != null) {
                gen.writeStringField("watchState", watch);
            }
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeEndObject();
        gen.close();
    }

    /** {@code 127.0.0.1:443}, {@code [::]:443}, or null. */
    static String address(InetSocketAddress a) {
        if (a == null) {
            return null;
        }
        if (a.getAddress() == null) {
            return a.getHostString() + ":" + a.getPort();
        }
        String host = NetUtil.toAddressString(a.getAddress());
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}

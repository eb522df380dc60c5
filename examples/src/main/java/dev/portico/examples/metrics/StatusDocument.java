package dev.portico.examples.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portico.api.EngineStatus;
import dev.portico.api.EngineStatus.BackendStatus;
import dev.portico.api.EngineStatus.FrontendStatus;
import dev.portico.api.SourceError;
import io.netty.util.NetUtil;
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
 */
final class StatusDocument {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StatusDocument() {
    }

    static byte[] json(String version, EngineStatus status, List<String> sources, Map<String, SourceError> errors,
                       Map<String, String> watchStates) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", version);
        root.put("transport", status.transport());
        root.put("activeConnections", status.activeConnections());
        ArrayNode frontends = root.putArray("frontends");
        for (FrontendStatus f : status.frontends()) {
            ObjectNode fe = frontends.addObject();
            fe.put("name", f.name());
            fe.put("source", f.source());
            fe.put("bind", String.valueOf(f.bind()));
            fe.put("boundAddress", address(f.boundAddress()));
            fe.put("state", f.state().name().toLowerCase(Locale.ROOT));
            fe.put("error", f.error());
            fe.put("activeConnections", f.activeConnections());
            fe.put("totalConnections", f.totalConnections());
            fe.put("bufferedBytes", f.bufferedBytes());
            ArrayNode backends = fe.putArray("backends");
            for (BackendStatus b : f.backends()) {
                ObjectNode be = backends.addObject();
                be.put("address", b.backend().address());
                be.put("weight", b.backend().weight());
                be.put("healthy", b.healthy());
                be.put("activeConnections", b.activeConnections());
                be.put("lastError", b.lastError());
            }
        }
        Set<String> names = new LinkedHashSet<>(sources);
        names.addAll(errors.keySet());
        names.addAll(watchStates.keySet());
        ArrayNode src = root.putArray("sources");
        for (String name : names) {
            ObjectNode s = src.addObject();
            s.put("name", name);
            SourceError e = errors.get(name);
            if (e == null) {
                s.putNull("lastError");
            } else {
                ObjectNode err = s.putObject("lastError");
                err.put("place", e.place());
                err.put("message", e.message());
                err.put("at", e.at().toString());
            }
            String watch = watchStates.get(name);
            if (watch != null) {
                s.put("watchState", watch);
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
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

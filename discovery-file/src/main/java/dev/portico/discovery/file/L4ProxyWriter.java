package dev.portico.discovery.file;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portico.api.Backend;
import dev.portico.api.BindAddress;
import dev.portico.api.Durations;
import dev.portico.api.Frontend;
import dev.portico.api.Protocol;
import dev.portico.api.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes frontends as an l4proxy v1 configuration file, the format service-announcer writes and
 * l4proxy (and Portico's file source) read. Only what that format carries is written: bind,
 * backends, health interval in whole seconds and the idle timeout; the other settings stay
 * Portico's. UDP frontends are left out (l4proxy forwards TCP only) and {@link #write} logs which.
 * Output is deterministic (frontends by port then bind, backends by address), so an
 * unchanged cluster gives an unchanged file, and the file is replaced atomically only when its
 * content changes, so a watching l4proxy or Portico reloads once per real change. What it writes,
 * {@link FileBackendSource} reads back to the same binds, backends, health interval and idle timeout.
 */
public final class L4ProxyWriter {

    private static final Logger LOG = LoggerFactory.getLogger(L4ProxyWriter.class);
    private static final Set<PosixFilePermission> NEW_FILE_PERMISSIONS = PosixFilePermissions.fromString("rw-r--r--");

    // What the last write left out, so an unchanged cluster does not log it again.
    private List<String> lastLeftOut = List.of();

    private final YAMLMapper mapper = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build());

    /**
     * The file's content. Of several frontends on one bind address, only the first is written, as
     * l4proxy would otherwise fail to start; list them oldest first to keep the one that is served.
     */
    String render(List<Frontend> frontends) {
        Map<BindAddress, Frontend> byBind = new LinkedHashMap<>();
        for (Frontend f : frontends) {
            if (f.protocol() == Protocol.TCP) {
                byBind.putIfAbsent(f.bind(), f);
            }
        }
        List<Frontend> sorted = new ArrayList<>(byBind.values());
        sorted.sort(Comparator.comparingInt((Frontend f) -> f.bind().port()).thenComparing(f -> f.bind().toString()));
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("apiVersion", "v1");
        ArrayNode list = root.putArray("frontends");
        for (Frontend f : sorted) {
            ObjectNode fe = list.addObject();
            fe.put("bind", f.bind().toString());
            ArrayNode backends = fe.putArray("backends");
            f.backends().stream().map(Backend::address).sorted().forEach(a -> backends.addObject().put("address", a));
            fe.put("healthInterval", healthIntervalSeconds(f.health().interval()));
            fe.put("timeout", f.idleTimeout().equals(Frontend.DEFAULT_IDLE_TIMEOUT) ? "0s" : Durations.formatGo(f.idleTimeout()));
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot render YAML", e); // a tree of strings and numbers always renders
        }
    }

    /** {@link #write(Path, List)} for a source's snapshot, as {@code portico announce} writes one. */
    boolean write(Path file, Snapshot snapshot) throws IOException {
        return write(file, snapshot.frontends());
    }

    /**
     * Writes the file if its content would change: the new content goes to a temporary file in
     * the same directory, which then replaces the old one in one rename. An existing file's
     * permissions are kept; a new one is {@code rw-r--r--}. Of several frontends on one bind
     * address only the first is written, as l4proxy would otherwise fail to start: list them
     * oldest first to keep the one that is served.
     *
     * @param file      the file to replace; its directory must exist and be writable
     * @param frontends what to write, in any order; UDP frontends are left out (and logged)
     * @return true if the file was written, false if it already held this content
     * @throws IOException when the file or its temporary sibling cannot be read, written or renamed;
     *                     the old file is then left as it was
     */
    public boolean write(Path file, List<Frontend> frontends) throws IOException {
        List<String> udp = frontends.stream().filter(f -> f.protocol() != Protocol.TCP).map(Frontend::name).toList();
        if (!udp.equals(lastLeftOut)) {
            lastLeftOut = udp;
            if (!udp.isEmpty()) {
                LOG.info("left out of {}: {} UDP frontend(s), as l4proxy's format has no UDP: {}", file, udp.size(),
                        String.join(", ", udp));
            }
        }
        byte[] content = render(frontends).getBytes(StandardCharsets.UTF_8);
        if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), content)) {
            return false;
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true); // the rename must never expose a file whose bytes are not on disk
            }
            PosixFileAttributeView posix = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
            if (posix != null) {
                posix.setPermissions(Files.exists(file) ? Files.getPosixFilePermissions(file) : NEW_FILE_PERMISSIONS);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        // As written: one frontend per bind address (see render).
        LOG.info("wrote {} ({} frontends)", file, frontends.stream().filter(f -> f.protocol() == Protocol.TCP)
                .map(Frontend::bind).distinct().count());
        return true;
    }

    /** l4proxy's health interval is whole seconds; a shorter interval rounds up to one. */
    static int healthIntervalSeconds(Duration interval) {
        long ms = interval.toMillis();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (ms + 999) / 1000));
    }
}

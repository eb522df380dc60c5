package dev.portico.examples.metrics;

import dev.portico.api.CloseReason;
import dev.portico.examples.metrics.EngineGauges.BackendGauges;
import dev.portico.examples.metrics.MetricsEvents.BackendMeters;
import dev.portico.examples.metrics.MetricsEvents.FrontendMeters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One scrape as a {@link StreamedBody}: the Micrometer registry's families (JVM, process, the
 * per-source ones: a few kilobytes) and the per-frontend families, merged in name order and written
 * a frontend at a time, in the text Micrometer's Prometheus registry writes (same names, HELP
 * texts, label order, number formats). The per-frontend families are not in the registry because
 * their meters and the one String {@code PrometheusMeterRegistry.scrape()} builds do not fit a
 * small heap once there are thousands of frontends.
 */
final class PrometheusFamilies implements StreamedBody {

    private static final String[] LE = new String[MetricsEvents.DURATION_BUCKETS.length];

    static {
        for (int i = 0; i < LE.length; i++) {
            LE[i] = Double.toString(MetricsEvents.DURATION_BUCKETS[i].toMillis() / 1000.0);
        }
    }

    /** A family's rows: written one index (one frontend) at a time. */
    private interface Rows {
        int size();

        void write(ByteBuf out, int index);
    }

    private record Section(String key, String header, Rows rows) {
    }

    private final List<Section> sections = new ArrayList<>();
    private int section;
    private int row;

    PrometheusFamilies(String registryText, List<FrontendMeters> meters, List<EngineGauges.Frontend> gauges) {
        splitRegistry(registryText);
        addFrontendFamilies(meters, gauges);
        sections.sort(Comparator.comparing(Section::key));
    }

    @Override
    public boolean writeSome(ByteBuf out, int atLeast) {
        while (section < sections.size()) {
            Section s = sections.get(section);
            if (row >= s.rows.size()) {
                section++;
                row = 0;
                continue;
            }
            if (out.readableBytes() >= atLeast) {
                return true;
            }
            if (row == 0 && s.header != null) {
                ByteBufUtil.writeUtf8(out, s.header);
            }
            s.rows.write(out, row++);
        }
        return false;
    }

    /** Splits the registry's text into families, each keyed as the registry sorts them. */
    private void splitRegistry(String text) {
        int start = 0;
        String help = null;
        for (int i = 0; i < text.length(); ) {
            int end = text.indexOf('\n', i);
            end = end < 0 ? text.length() : end + 1;
            String line = text.substring(i, end);
            boolean typeAfterHelp = line.startsWith("# TYPE ") && help != null;
            if ((line.startsWith("# HELP ") || (line.startsWith("# TYPE ") && !typeAfterHelp)) && i > start) {
                addBlock(text.substring(start, i));
                start = i;
            }
            help = line.startsWith("# HELP ") ? line : null;
            i = end;
        }
        if (start < text.length()) {
            addBlock(text.substring(start));
        }
    }

    private void addBlock(String block) {
        int t = block.indexOf("# TYPE ");
        String key = "";
        if (t >= 0) {
            String[] parts = block.substring(t, block.indexOf('\n', t) < 0 ? block.length() : block.indexOf('\n', t))
                    .split(" ");
            key = parts.length >= 4 && parts[3].equals("counter") && parts[2].endsWith("_total")
                    ? parts[2].substring(0, parts[2].length() - "_total".length()) : parts.length > 2 ? parts[2] : "";
        }
        sections.add(new Section(key, null, new Rows() {
            @Override
            public int size() {
                return 1;
            }

            @Override
            public void write(ByteBuf out, int index) {
                ByteBufUtil.writeUtf8(out, block);
            }
        }));
    }

    private void family(String key, String name, String type, String help, int size, RowWriter rows) {
        String header = "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
        sections.add(new Section(key, header, new Rows() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public void write(ByteBuf out, int index) {
                rows.write(out, index);
            }
        }));
    }

    @FunctionalInterface
    private interface RowWriter {
        void write(ByteBuf out, int index);
    }

    private void counter(String base, String help, List<FrontendMeters> meters, int index) {
        family(base, base + "_total", "counter", help, meters.size(), (out, i) -> {
            FrontendMeters m = meters.get(i);
            sample(out, base + "_total", "frontend", m.name, null, null, (double) m.counts.get(index));
        });
    }

    private void addFrontendFamilies(List<FrontendMeters> meters, List<EngineGauges.Frontend> gauges) {
        if (!meters.isEmpty()) {
            addCounterFamilies(meters);
        }
        if (!gauges.isEmpty()) {
            addGaugeFamilies(gauges);
            addUdpFamilies(gauges);
        }
    }

    private void addCounterFamilies(List<FrontendMeters> meters) {
        String failures = "portico_backend_connect_failures";
        family(failures, failures + "_total", "counter", "Failed connects to this backend (the next backend is tried)",
                meters.size(), (out, i) -> backendCounters(out, failures + "_total", meters.get(i), true));
        String forwarded = "portico_backend_connections";
        family(forwarded, forwarded + "_total", "counter", "Client connections forwarded to this backend",
                meters.size(), (out, i) -> backendCounters(out, forwarded + "_total", meters.get(i), false));
        counter("portico_backend_to_client_bytes",
                "Bytes read from backends and forwarded to clients, counted when a connection ends",
                meters, FrontendMeters.BACKEND_TO_CLIENT);
        counter("portico_client_to_backend_bytes",
                "Bytes read from clients and forwarded to backends, counted when a connection ends",
                meters, FrontendMeters.CLIENT_TO_BACKEND);
        String duration = "portico_connection_duration_seconds";
        String durationHelp = "How long forwarded connections lasted (refused ones are not included)";
        family(duration, duration, "histogram", durationHelp, meters.size(), (out, i) -> histogram(out, meters.get(i)));
        family(duration + "_max", duration + "_max", "gauge", durationHelp, meters.size(), (out, i) -> {
            FrontendMeters m = meters.get(i);
            sample(out, duration + "_max", "frontend", m.name, null, null, m.durationMax.poll(TimeUnit.SECONDS));
        });
        counter("portico_connections",
                "Client connections forwarded to a backend, counted when the backend connection opens",
                meters, FrontendMeters.OPENED);
        String closed = "portico_connections_closed_total";
        family("portico_connections_closed", closed, "counter",
                "Client connections that ended, by how they ended (refused ones included)", meters.size(), (out, i) -> {
                    FrontendMeters m = meters.get(i);
                    for (CloseReason r : MetricsEvents.REASONS) {
                        sample(out, closed, "frontend", m.name, "reason", MetricsEvents.label(r),
                                (double) m.counts.get(FrontendMeters.CLOSED + r.ordinal()));
                    }
                });
        String refused = "portico_connections_refused_total";
        family("portico_connections_refused", refused, "counter",
                "Client connections refused before any backend was contacted: denied by allow/deny lists or an "
                        + "untrusted PROXY sender, over a connection limit, or a missing or bad PROXY header",
                meters.size(), (out, i) -> {
                    FrontendMeters m = meters.get(i);
                    for (CloseReason r : MetricsEvents.REASONS) {
                        if (MetricsEvents.REFUSALS.contains(r)) {
                            sample(out, refused, "frontend", m.name, "reason", MetricsEvents.label(r),
                                    (double) m.counts.get(FrontendMeters.CLOSED + r.ordinal()));
                        }
                    }
                });
        counter("portico_listener_failures", "Times a frontend's listener could not be opened or was lost",
                meters, FrontendMeters.LISTENER_FAILURES);
    }

    private void addGaugeFamilies(List<EngineGauges.Frontend> gauges) {
        family("portico_backend_connections_active", "portico_backend_connections_active", "gauge",
                "Connections open to the backend now", gauges.size(),
                (out, i) -> backendGauges(out, "portico_backend_connections_active", gauges.get(i), false));
        family("portico_backend_healthy", "portico_backend_healthy", "gauge",
                "1 while the backend takes new connections, 0 while it is down", gauges.size(),
                (out, i) -> backendGauges(out, "portico_backend_healthy", gauges.get(i), true));
        family("portico_connections_active", "portico_connections_active", "gauge",
                "Client connections open now (including ones still connecting to a backend)", gauges.size(),
                (out, i) -> sample(out, "portico_connections_active", "frontend", gauges.get(i).name, null, null,
                        (double) gauges.get(i).active));
        family("portico_frontend_buffered_bytes", "portico_frontend_buffered_bytes", "gauge",
                "Bytes held in write queues for the frontend's connections now, both directions (backpressure)",
                gauges.size(), (out, i) -> sample(out, "portico_frontend_buffered_bytes", "frontend",
                        gauges.get(i).name, null, null, (double) gauges.get(i).buffered));
        family("portico_frontend_listening", "portico_frontend_listening", "gauge",
                "1 while the frontend's listener is bound and accepting, 0 while it failed or drains", gauges.size(),
                (out, i) -> sample(out, "portico_frontend_listening", "frontend", gauges.get(i).name, null, null,
                        gauges.get(i).listening ? 1.0 : 0.0));
    }

    /**
     * A UDP frontend's families, read from the engine's counters at scrape time: a datagram costs
     * the engine a store on its own loop, never an event (see {@code EngineStatus.UdpStatus}).
     */
    private void addUdpFamilies(List<EngineGauges.Frontend> gauges) {
        List<EngineGauges.Frontend> udp = gauges.stream().filter(g -> g.udp != null).toList();
        family("portico_udp_flows_active", "portico_udp_flows_active", "gauge",
                "UDP flows (client address and port) open now", udp.size(),
                (out, i) -> sample(out, "portico_udp_flows_active", "frontend", udp.get(i).name, null, null,
                        (double) udp.get(i).active));
        family("portico_udp_flows", "portico_udp_flows_total", "counter",
                "UDP flows opened since the frontend started", udp.size(),
                (out, i) -> sample(out, "portico_udp_flows_total", "frontend", udp.get(i).name, null, null,
                        (double) udp.get(i).total));
        family("portico_udp_datagrams", "portico_udp_datagrams_total", "counter",
                "Datagrams forwarded, by direction (client_to_backend, backend_to_client)", udp.size(), (out, i) -> {
                    EngineGauges.Frontend f = udp.get(i);
                    direction(out, "portico_udp_datagrams_total", f.name, f.udp.datagramsToClient(),
                            f.udp.datagramsFromClient());
                });
        family("portico_udp_bytes", "portico_udp_bytes_total", "counter",
                "Payload bytes of the datagrams forwarded, by direction (without PROXY headers)", udp.size(),
                (out, i) -> {
                    EngineGauges.Frontend f = udp.get(i);
                    direction(out, "portico_udp_bytes_total", f.name, f.udp.bytesToClient(), f.udp.bytesFromClient());
                });
        family("portico_udp_dropped_datagrams", "portico_udp_dropped_datagrams_total", "counter",
                "Datagrams dropped, by reason (no_backend, flow_limit, denied, too_large, send_failure)", udp.size(),
                (out, i) -> {
                    EngineGauges.Frontend f = udp.get(i);
                    String n = "portico_udp_dropped_datagrams_total";
                    sample(out, n, "frontend", f.name, "reason", "no_backend", (double) f.udp.droppedNoBackend());
                    sample(out, n, "frontend", f.name, "reason", "flow_limit", (double) f.udp.droppedFlowLimit());
                    sample(out, n, "frontend", f.name, "reason", "denied", (double) f.udp.droppedDenied());
                    sample(out, n, "frontend", f.name, "reason", "too_large", (double) f.udp.droppedTooLarge());
                    sample(out, n, "frontend", f.name, "reason", "send_failure", (double) f.udp.droppedSendFailure());
                });
    }

    private static void direction(ByteBuf out, String name, String frontend, long toClient, long fromClient) {
        sample(out, name, "direction", "backend_to_client", "frontend", frontend, (double) toClient);
        sample(out, name, "direction", "client_to_backend", "frontend", frontend, (double) fromClient);
    }

    private static void backendCounters(ByteBuf out, String name, FrontendMeters m, boolean failures) {
        for (BackendMeters b : m.backends.values()) {
            sample(out, name, "backend", b.address, "frontend", m.name,
                    (double) (failures ? b.connectFailures.get() : b.opened.get()));
        }
    }

    private static void backendGauges(ByteBuf out, String name, EngineGauges.Frontend f, boolean healthy) {
        for (Map.Entry<String, BackendGauges> b : f.backends.entrySet()) {
            double v = healthy ? (b.getValue().healthy ? 1.0 : 0.0) : b.getValue().active;
            sample(out, name, "backend", b.getKey(), "frontend", f.name, v);
        }
    }

    /** Buckets are cumulative and never above the count, though events land while they are read. */
    private static void histogram(ByteBuf out, FrontendMeters m) {
        long count = m.counts.get(FrontendMeters.DURATION_COUNT);
        long sumMillis = m.counts.get(FrontendMeters.DURATION_SUM_MILLIS);
        String bucket = "portico_connection_duration_seconds_bucket";
        long cumulative = 0;
        for (int i = 0; i < LE.length; i++) {
            cumulative = Math.min(count, cumulative + m.counts.get(FrontendMeters.BUCKETS + i));
            sample(out, bucket, "frontend", m.name, "le", LE[i], Long.toString(cumulative));
        }
        sample(out, bucket, "frontend", m.name, "le", "+Inf", Long.toString(count));
        sample(out, "portico_connection_duration_seconds_count", "frontend", m.name, null, null, Long.toString(count));
        sample(out, "portico_connection_duration_seconds_sum", "frontend", m.name, null, null,
                (double) TimeUnit.MILLISECONDS.toNanos(sumMillis) / TimeUnit.SECONDS.toNanos(1));
    }

    private static void sample(ByteBuf out, String name, String label1, String value1, String label2, String value2,
                               double value) {
        sample(out, name, label1, value1, label2, value2, number(value));
    }

    /** The registry's number format: {@code 0.0}, {@code 4.4761088E7}, {@code +Inf}. */
    private static String number(double v) {
        if (v == Double.POSITIVE_INFINITY) {
            return "+Inf";
        }
        return v == Double.NEGATIVE_INFINITY ? "-Inf" : Double.toString(v);
    }

    private static void sample(ByteBuf out, String name, String label1, String value1, String label2, String value2,
                               String value) {
        out.writeCharSequence(name, StandardCharsets.US_ASCII);
        out.writeByte('{');
        label(out, label1, value1);
        if (label2 != null) {
            out.writeByte(',');
            label(out, label2, value2);
        }
        out.writeByte('}').writeByte(' ');
        out.writeCharSequence(value, StandardCharsets.US_ASCII);
        out.writeByte('\n');
    }

    private static void label(ByteBuf out, String name, String value) {
        out.writeCharSequence(name, StandardCharsets.US_ASCII);
        out.writeByte('=').writeByte('"');
        // Control and bidi characters escaped first (names come from files, Kubernetes, the Java API).
        ByteBufUtil.writeUtf8(out, escape(MetricsEvents.labelValue(value)));
        out.writeByte('"');
    }

    private static String escape(String v) {
        if (v.indexOf('\\') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}

package dev.portico.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Finds frontends whose connections come back to the router itself: a backend that is one of the
 * router's own listeners, directly (a frontend forwarding to its own bind) or through other
 * frontends (A to B to A). A chain that ends elsewhere (A to B, B to a remote host) is not a loop.
 * Pure: the caller says where each frontend listens and which addresses are this machine's. Only
 * backends written as IP literals are compared; a host name is resolved at connect time, where
 * the engine catches a loop it forms.
 */
public final class LoopCheck {

    private LoopCheck() {
    }

    /**
     * A frontend and where it listens.
     *
     * @param frontend the frontend
     * @param address  the socket address it listens on; the wildcard address means every local address
     */
    public record Listener(Frontend frontend, InetSocketAddress address) {
    }

    /**
     * A frontend whose backend leads back to the router.
     *
     * @param frontend the frontend on the cycle
     * @param backend  its backend that is one of the router's listeners
     * @param path     the listeners the connection goes through, from the one {@code backend} is,
     *                 back to {@code frontend}'s own
     */
    public record Loop(Frontend frontend, Backend backend, List<Listener> path) {
        /**
         * Copies the path.
         *
         * @param frontend the frontend on the cycle
         * @param backend  its backend that is one of the router's listeners
         * @param path     the listeners the connection goes through, at least one
         */
        public Loop {
            path = List.copyOf(path);
        }

        /** What is wrong, without the place. */
        String message() {
            Listener first = path.get(0);
            StringBuilder m = new StringBuilder("frontend ").append(frontend.name()).append(": backend ")
                    .append(backend.address()).append(" is this router's own listener (");
            if (first.frontend() != frontend) {
                m.append("frontend ").append(first.frontend().name()).append(", ");
            }
            m.append("bind ").append(first.frontend().bind()).append(')');
            if (path.size() > 1) {
                m.append(", which leads back to frontend ").append(frontend.name()).append(" (")
                        .append(frontend.name());
                for (Listener l : path) {
                    m.append(" -> ").append(l.frontend().name());
                }
                m.append(')');
            }
            return m.append(": a loop").toString();
        }

        /**
         * The loop as an error, for the events listener and status.
         *
         * @return an error of the frontend's source, placed at its origin ({@code engine} when the
         *         frontend has no source)
         */
        public SourceError toError() {
            return new SourceError(frontend.source().isEmpty() ? "engine" : frontend.source(), frontend.origin(),
                    message());
        }

        @Override
        public String toString() {
            return toError().toString();
        }
    }

    /**
     * Every frontend on a cycle, each with one shortest way round it, in the order of {@code listeners}.
     *
     * @param listeners the router's frontends with a known listen address
     * @param local     whether an address is this machine's (loopback, wildcard, an interface's)
     * @return the loops found; empty when there is none
     */
    public static List<Loop> find(List<Listener> listeners, Predicate<InetAddress> local) {
        Map<Integer, List<Integer>> byPort = new HashMap<>();
        for (int i = 0; i < listeners.size(); i++) {
            byPort.computeIfAbsent(listeners.get(i).address().getPort(), k -> new ArrayList<>()).add(i);
        }
        int n = listeners.size();
        // edges.get(i): for each listener reached by a backend of i, that backend.
        List<Map<Integer, Backend>> edges = new ArrayList<>(n);
        for (Listener l : listeners) {
            Map<Integer, Backend> out = new HashMap<>();
            for (Backend b : l.frontend().backends()) {
                List<Integer> sameP = byPort.get(b.port());
                InetAddress ip = sameP == null ? null : literal(b.host());
                if (ip == null) {
                    continue;
                }
                for (int j : sameP) {
                    // A UDP datagram never reaches a TCP listener on the same port, nor the reverse.
                    if (listeners.get(j).frontend().protocol() == l.frontend().protocol() && reaches(ip, listeners.get(j).address().getAddress(), local)) {
                        out.putIfAbsent(j, b);
                    }
                }
            }
            edges.add(out);
        }
        List<Loop> loops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Integer> way = shortestCycle(i, edges);
            if (way != null) {
                List<Listener> path = new ArrayList<>();
                for (int j : way) {
                    path.add(listeners.get(j));
                }
                loops.add(new Loop(listeners.get(i).frontend(), edges.get(i).get(way.get(0)), path));
            }
        }
        return loops;
    }

    /** The listeners from i's first hop back to i, or null when i is on no cycle. */
    private static List<Integer> shortestCycle(int start, List<Map<Integer, Backend>> edges) {
        int[] parent = new int[edges.size()];
        java.util.Arrays.fill(parent, -2);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int j : edges.get(start).keySet()) {
            if (parent[j] == -2) {
                parent[j] = -1;
                queue.add(j);
            }
        }
        while (!queue.isEmpty()) {
            int at = queue.poll();
            if (at == start) {
                List<Integer> way = new ArrayList<>();
                for (int k = at; k != -1; k = parent[k]) {
                    way.add(0, k);
                }
                return way;
            }
            for (int j : edges.get(at).keySet()) {
                if (parent[j] == -2) {
                    parent[j] = at;
                    queue.add(j);
                }
            }
        }
        return null;
    }

    private static boolean reaches(InetAddress backend, InetAddress listener, Predicate<InetAddress> local) {
        if (listener.isAnyLocalAddress()) {
            return backend.isAnyLocalAddress() || local.test(backend);
        }
        // A connect to the wildcard address goes to this machine (Linux takes it as loopback).
        return backend.equals(listener) || backend.isAnyLocalAddress() && listener.isLoopbackAddress();
    }

    /** The address of an IP literal, {@code null} for a host name (never a name-service query). */
    static InetAddress literal(String host) {
        return IpLiterals.parse(host);
    }
}

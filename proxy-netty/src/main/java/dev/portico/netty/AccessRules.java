package dev.portico.netty;

import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A frontend's allow and deny lists (its own allow list, else the engine's default; its deny list
 * plus the default), and its trusted PROXY senders. Immutable; matched on every accepted connection
 * with {@link Cidr#contains}, which allocates nothing of its own.
 */
record AccessRules(List<Cidr> allow, List<Cidr> deny, List<Cidr> trustedProxies) {

    static AccessRules of(Frontend f, List<Cidr> defaultAllow, List<Cidr> defaultDeny) {
        List<Cidr> deny = new ArrayList<>(f.deny());
        deny.addAll(defaultDeny);
        return new AccessRules(List.copyOf(f.allow().isEmpty() ? defaultAllow : f.allow()), List.copyOf(deny),
                List.copyOf(f.acceptProxy().trusted()));
    }

    private static boolean any(List<Cidr> networks, InetSocketAddress a) {
        InetAddress address = a.getAddress();
        if (address == null) {
            return false;
        }
        for (int i = 0; i < networks.size(); i++) {
            if (networks.get(i).contains(address)) {
                return true;
            }
        }
        return false;
    }
    /** Why the client is refused, or {@code null}. Deny wins over allow. */
    String denied(InetSocketAddress client) {
        if (any(deny, client)) {
            return "client " + client.getAddress().getHostAddress() + " is in a deny list";
        }
        if (!allow.isEmpty() && !any(allow, client)) {
            return "client " + client.getAddress().getHostAddress() + " is not in the allow list";
        }
        return null;
    }

    boolean trustedProxy(InetSocketAddress peer) {
        return any(trustedProxies, peer);
    }
}

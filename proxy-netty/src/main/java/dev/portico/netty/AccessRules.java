package dev.portico.netty;

import dev.portico.api.Cidr;
import dev.portico.api.Frontend;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A frontend's allow and deny lists (its own allow list, else the engine's default; its deny list
 * plus the default), and its trusted PROXY senders, as Netty subnet rules. Immutable.
 */
record AccessRules(List<IpSubnetFilterRule> allow, List<IpSubnetFilterRule> deny,
                   List<IpSubnetFilterRule> trustedProxies) {

    static AccessRules of(Frontend f, List<Cidr> defaultAllow, List<Cidr> defaultDeny) {
        List<Cidr> deny = new ArrayList<>(f.deny());
        deny.addAll(defaultDeny);
        return new AccessRules(rules(f.allow().isEmpty() ? defaultAllow : f.allow(), IpFilterRuleType.ACCEPT),
                rules(deny, IpFilterRuleType.REJECT), rules(f.acceptProxy().trusted(), IpFilterRuleType.ACCEPT));
    }

    private static List<IpSubnetFilterRule> rules(List<Cidr> cidrs, IpFilterRuleType type) {
        List<IpSubnetFilterRule> out = new ArrayList<>(cidrs.size());
        for (Cidr c : cidrs) {
            out.add(new IpSubnetFilterRule(c.network(), c.prefix(), type));
        }
        return List.copyOf(out);
    }

    private static boolean any(List<IpSubnetFilterRule> rules, InetSocketAddress a) {
        for (IpSubnetFilterRule r : rules) {
            if (r.matches(a)) {
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

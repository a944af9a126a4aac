package io.protean.proxy.filter;

import io.protean.abi.filter.FilterContext;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.config.yaml.Node;
import io.protean.proxy.route.MetadataMatcher;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Envoy's RBAC {@code rules}: an {@code action} (ALLOW or DENY) and named {@code policies}; a
 * policy matches a request when one of its {@code permissions} (what is asked: metadata) and one
 * of its {@code principals} (who asks: the downstream peer address, metadata) match. ALLOW lets
 * through the requests some policy matches; DENY refuses them. Immutable, any thread.
 */
final class RbacRules {
  enum Action {
    ALLOW,
    DENY
  }

  /** What a request asks for, tested against its metadata. */
  sealed interface Permission {
    boolean matches(FilterContext ctx);
  }

  /**
   * Who asks. The downstream peer's address and metadata today; the peer certificate's identity
   * (Envoy's {@code authenticated}) becomes one more kind once listeners terminate TLS and
   * {@link FilterContext} offers the certificate.
   */
  sealed interface Principal {
    boolean matches(FilterContext ctx);
  }

  record Any() implements Permission, Principal {
    @Override
    public boolean matches(FilterContext ctx) {
      return true;
    }
  }

  record OnMetadata(MetadataMatcher matcher) implements Permission, Principal {
    @Override
    public boolean matches(FilterContext ctx) {
      return matcher.matches(ctx.request().metadata());
    }
  }

  record DirectRemoteIp(CidrRange range) implements Principal {
    @Override
    public boolean matches(FilterContext ctx) {
      return range.matches(ctx.downstreamAddress());
    }
  }

  record AndPermissions(Permission[] rules) implements Permission {
    @Override
    public boolean matches(FilterContext ctx) {
      for (Permission p : rules) {
        if (!p.matches(ctx)) {
          return false;
        }
      }
      return true;
    }
  }

  record OrPermissions(Permission[] rules) implements Permission {
    @Override
    public boolean matches(FilterContext ctx) {
      for (Permission p : rules) {
        if (p.matches(ctx)) {
          return true;
        }
      }
      return false;
    }
  }

  record NotPermission(Permission rule) implements Permission {
    @Override
    public boolean matches(FilterContext ctx) {
      return !rule.matches(ctx);
    }
  }

  record AndPrincipals(Principal[] ids) implements Principal {
    @Override
    public boolean matches(FilterContext ctx) {
      for (Principal p : ids) {
        if (!p.matches(ctx)) {
          return false;
        }
      }
      return true;
    }
  }

  record OrPrincipals(Principal[] ids) implements Principal {
    @Override
    public boolean matches(FilterContext ctx) {
      for (Principal p : ids) {
        if (p.matches(ctx)) {
          return true;
        }
      }
      return false;
    }
  }

  record NotPrincipal(Principal id) implements Principal {
    @Override
    public boolean matches(FilterContext ctx) {
      return !id.matches(ctx);
    }
  }

  /** One named policy: any permission and any principal. */
  record Policy(String name, Permission[] permissions, Principal[] principals) {
    boolean matches(FilterContext ctx) {
      return any(permissions, ctx) && any(principals, ctx);
    }

    private static boolean any(Permission[] ps, FilterContext ctx) {
      for (Permission p : ps) {
        if (p.matches(ctx)) {
          return true;
        }
      }
      return false;
    }

    private static boolean any(Principal[] ps, FilterContext ctx) {
      for (Principal p : ps) {
        if (p.matches(ctx)) {
          return true;
        }
      }
      return false;
    }
  }

  final Action action;
  final Policy[] policies;

  private RbacRules(Action action, Policy[] policies) {
    this.action = action;
    this.policies = policies;
  }

  /** The first policy (in config order) that matches, or -1. */
  int firstMatch(FilterContext ctx) {
    for (int i = 0; i < policies.length; i++) {
      if (policies[i].matches(ctx)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether the request may go on, given {@link #firstMatch}. */
  boolean allows(int matched) {
    return (matched >= 0) == (action == Action.ALLOW);
  }

  static RbacRules parse(Node n) {
    n.allowOnly("action", "policies");
    Node actionNode = n.required("action");
    Action action;
    try {
      action = Action.valueOf(actionNode.text().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw actionNode.error("expected allow or deny, found '" + actionNode.text() + "'");
    }
    Node policiesNode = n.field("policies");
    List<Policy> policies = new ArrayList<>();
    if (!policiesNode.isMissing()) {
      if (!policiesNode.json().isObject()) {
        throw policiesNode.error("expected a mapping of policy name: {permissions, principals}");
      }
      for (Iterator<String> it = policiesNode.json().fieldNames(); it.hasNext(); ) {
        String name = it.next();
        Node p = policiesNode.field(name).allowOnly("permissions", "principals");
        policies.add(new Policy(name, permissions(p.required("permissions")),
            principals(p.required("principals"))));
      }
    }
    return new RbacRules(action, policies.toArray(Policy[]::new));
  }

  private static Permission[] permissions(Node list) {
    List<Node> items = list.list();
    if (items.isEmpty()) {
      throw list.error("at least one permission is required (any: true matches every request)");
    }
    return items.stream().map(RbacRules::permission).toArray(Permission[]::new);
  }

  private static Permission permission(Node n) {
    n.allowOnly("any", "metadata", "and_rules", "or_rules", "not_rule");
    String kind = only(n, "permission");
    Node v = n.field(kind);
    return switch (kind) {
      case "any" -> any(v);
      case "metadata" -> new OnMetadata(new MetadataMatcher(ConfigLoader.conditions(v)));
      case "and_rules" -> new AndPermissions(permissions(v.allowOnly("rules").required("rules")));
      case "or_rules" -> new OrPermissions(permissions(v.allowOnly("rules").required("rules")));
      default -> new NotPermission(permission(v));
    };
  }

  private static Principal[] principals(Node list) {
    List<Node> items = list.list();
    if (items.isEmpty()) {
      throw list.error("at least one principal is required (any: true matches every peer)");
    }
    return items.stream().map(RbacRules::principal).toArray(Principal[]::new);
  }

  private static Principal principal(Node n) {
    if (!n.field("authenticated").isMissing()) {
      throw n.field("authenticated").error("needs the peer certificate, and listeners do not "
          + "terminate TLS yet; match the peer with direct_remote_ip or metadata");
    }
    n.allowOnly("any", "direct_remote_ip", "metadata", "and_ids", "or_ids", "not_id");
    String kind = only(n, "principal");
    Node v = n.field(kind);
    return switch (kind) {
      case "any" -> any(v);
      case "direct_remote_ip" -> new DirectRemoteIp(CidrRange.parse(v));
      case "metadata" -> new OnMetadata(new MetadataMatcher(ConfigLoader.conditions(v)));
      case "and_ids" -> new AndPrincipals(principals(v.allowOnly("ids").required("ids")));
      case "or_ids" -> new OrPrincipals(principals(v.allowOnly("ids").required("ids")));
      default -> new NotPrincipal(principal(v));
    };
  }

  private static Any any(Node v) {
    if (!v.bool(true)) {
      throw v.error("any must be true (leave the entry out to match nothing)");
    }
    return new Any();
  }

  /** The one key of a permission or principal entry. */
  private static String only(Node n, String what) {
    if (!n.json().isObject() || n.json().size() != 1) {
      throw n.error("a " + what + " is a mapping with exactly one key");
    }
    return n.json().fieldNames().next();
  }
}

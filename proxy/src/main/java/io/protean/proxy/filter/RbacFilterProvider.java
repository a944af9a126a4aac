package io.protean.proxy.filter;

import io.protean.abi.ExtensionContext;
import io.protean.abi.Metrics;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.config.yaml.Node;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code rbac}: allow/deny policies on what a request asks (metadata: interface, method, version,
 * any attachment) and who asks (the downstream peer's address, metadata), as Envoy's RBAC filter.
 * Config: {@code rules} (enforced: a refused request gets the codec's PERMISSION_DENIED reply)
 * and/or {@code shadow_rules} (only counted and logged, to try a policy before enforcing it);
 * each is {@code {action: allow | deny, policies: {NAME: {permissions, principals}}}}. Every
 * decision is counted by the policy that made it ({@code policy="none"} when none matched).
 */
public final class RbacFilterProvider implements FilterProvider {
  private static final Logger log = LoggerFactory.getLogger(RbacFilterProvider.class);
  static final String NONE = "none";

  @Override
  public String name() {
    return "rbac";
  }

  @Override
  public FilterFactory create(Map<String, Object> config, ExtensionContext context) {
    Node root = Node.of("", config).allowOnly("stat_prefix", "rules", "shadow_rules", "message");
    String prefix = root.field("stat_prefix").text(name());
    String message = root.field("message").text("rbac: access denied");
    Node rulesNode = root.field("rules");
    Node shadowNode = root.field("shadow_rules");
    if (rulesNode.isMissing() && shadowNode.isMissing()) {
      throw root.error("give rules, shadow_rules or both");
    }
    Metrics metrics = context.metrics();
    Decisions rules = rulesNode.isMissing() ? null
        : new Decisions(RbacRules.parse(rulesNode), metrics, prefix, "allowed", "denied");
    Decisions shadow = shadowNode.isMissing() ? null
        : new Decisions(RbacRules.parse(shadowNode), metrics, prefix, "shadow_allowed",
            "shadow_denied");
    Filter filter = new Filter() {
      @Override
      public FilterStatus onRequest(FilterContext ctx) {
        if (shadow != null) {
          shadow.decide(ctx);
        }
        if (rules == null || rules.decide(ctx)) {
          return FilterStatus.CONTINUE;
        }
        ctx.sendLocalReply(ErrorType.PERMISSION_DENIED, message);
        return FilterStatus.STOP;
      }
    };
    return () -> filter; // stateless
  }

  /** One rule set with its counters by policy, held in arrays: no look-up per request. */
  private static final class Decisions {
    private final RbacRules rules;
    private final String allowedName;
    private final String deniedName;
    /** Index i: decided by policy i; the last: by no policy. */
    private final Metrics.Counter[] allowed;
    private final Metrics.Counter[] denied;

    Decisions(RbacRules rules, Metrics metrics, String prefix, String allowedName,
        String deniedName) {
      this.rules = rules;
      this.allowedName = allowedName;
      this.deniedName = deniedName;
      int n = rules.policies.length;
      allowed = new Metrics.Counter[n + 1];
      denied = new Metrics.Counter[n + 1];
      String help = "Requests the RBAC filter decided on, by policy and decision.";
      for (int i = 0; i <= n; i++) {
        String policy = i < n ? rules.policies[i].name() : NONE;
        // Only the decisions the action can make: ALLOW denies by no policy, DENY by a policy.
        if (rules.allows(i < n ? i : -1)) {
          allowed[i] = metrics.counter("protean_rbac_decisions_total", help, "stat_prefix", prefix,
              "policy", policy, "decision", allowedName);
        } else {
          denied[i] = metrics.counter("protean_rbac_decisions_total", help, "stat_prefix", prefix,
              "policy", policy, "decision", deniedName);
        }
      }
    }

    /** Decides, counts, logs (at debug); returns whether the request is allowed. */
    boolean decide(FilterContext ctx) {
      int matched = rules.firstMatch(ctx);
      int slot = matched < 0 ? rules.policies.length : matched;
      boolean allow = rules.allows(matched);
      (allow ? allowed : denied)[slot].inc();
      if (log.isDebugEnabled()) {
        log.debug("listener {}: rbac {} by policy {}: peer {}, {}", ctx.listener(),
            allow ? allowedName : deniedName, matched < 0 ? NONE : rules.policies[matched].name(),
            ctx.downstreamAddress(), ctx.request().metadata());
      }
      return allow;
    }
  }
}

package io.protean.proxy.filter;

import io.protean.abi.ExtensionContext;
import io.protean.abi.Metrics;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.config.yaml.Node;
import io.protean.proxy.route.MetadataMatcher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code local_ratelimit}: token buckets shared by every event loop of the proxy, as Envoy's
 * local rate limit filter. Config: {@code rules}, each with its own {@code match} (conditions as
 * in routes; none: every request) and a {@code token_bucket: {max_tokens, tokens_per_fill,
 * fill_interval}}; the first rule that matches takes a token from its bucket, and a request finding
 * it empty gets the codec's RATE_LIMITED reply. A request that matches no rule is not limited.
 *
 * <p>The buckets live in the factory: a reload whose filter config is unchanged keeps the factory
 * and so the buckets' state; a changed config starts with full buckets (as Envoy's do when a
 * listener update rebuilds the filter). A control plane's per-route limit maps onto one rule
 * whose {@code match} is the route's.
 */
public final class LocalRateLimitFilterProvider implements FilterProvider {
  /** Envoy's lower bound for {@code fill_interval}. */
  static final Duration MIN_FILL_INTERVAL = Duration.ofMillis(50);

  private final LongSupplier nanoClock;

  public LocalRateLimitFilterProvider() {
    this(System::nanoTime);
  }

  /** With a test's clock. */
  LocalRateLimitFilterProvider(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  @Override
  public String name() {
    return "local_ratelimit";
  }

  @Override
  public FilterFactory create(Map<String, Object> config, ExtensionContext context) {
    Node root = Node.of("", config).allowOnly("stat_prefix", "rules", "message");
    String prefix = root.field("stat_prefix").text(name());
    String message = root.field("message").text("rate limited");
    List<Node> ruleNodes = root.required("rules").list();
    if (ruleNodes.isEmpty()) {
      throw root.field("rules").error("at least one rule is required");
    }
    Rule[] rules = new Rule[ruleNodes.size()];
    for (int i = 0; i < rules.length; i++) {
      rules[i] = rule(ruleNodes.get(i), i, prefix, context.metrics());
    }
    Filter filter = new Filter() {
      @Override
      public FilterStatus onRequest(FilterContext ctx) {
        for (Rule r : rules) {
          if (r.match.matches(ctx.request().metadata())) {
            if (r.bucket.tryAcquire()) {
              r.ok.inc();
              return FilterStatus.CONTINUE;
            }
            r.limited.inc();
            ctx.sendLocalReply(ErrorType.RATE_LIMITED, message);
            return FilterStatus.STOP;
          }
        }
        return FilterStatus.CONTINUE;
      }
    };
    return () -> filter; // stateless per request: the buckets are shared
  }

  private record Rule(MetadataMatcher match, TokenBucket bucket, Metrics.Counter ok,
      Metrics.Counter limited) {}

  private Rule rule(Node n, int index, String prefix, Metrics metrics) {
    n.allowOnly("name", "match", "token_bucket");
    String name = n.field("name").text(Integer.toString(index));
    MetadataMatcher match = new MetadataMatcher(ConfigLoader.conditions(n.field("match")));
    Node b = n.required("token_bucket").allowOnly("max_tokens", "tokens_per_fill", "fill_interval");
    int max = b.required("max_tokens").integer(0, 1, (int) TokenBucket.MAX_TOKENS);
    int perFill = b.field("tokens_per_fill").integer(1, 1, (int) TokenBucket.MAX_TOKENS);
    Node intervalNode = b.required("fill_interval");
    Duration interval = intervalNode.duration(null);
    if (interval.compareTo(MIN_FILL_INTERVAL) < 0) {
      throw intervalNode.error("must be at least 50ms, found " + intervalNode.text());
    }
    String help = "Requests a local rate limit rule decided on, by decision.";
    return new Rule(match, new TokenBucket(max, perFill, interval.toNanos(), nanoClock),
        metrics.counter("protean_local_ratelimit_requests_total", help, "stat_prefix", prefix,
            "rule", name, "decision", "ok"),
        metrics.counter("protean_local_ratelimit_requests_total", help, "stat_prefix", prefix,
            "rule", name, "decision", "rate_limited"));
  }
}

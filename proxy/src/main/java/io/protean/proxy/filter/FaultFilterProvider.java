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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code fault}: injects delays and aborts into a share of requests, like Envoy's HTTP fault
 * filter. Config: {@code rules}, each with its own {@code match} (conditions as in routes; none:
 * every request), a {@code delay: {fixed, percent}} and/or an {@code abort: {error, percent,
 * message}}; the first rule that matches applies. A delay is a timer on the request's event loop
 * (the loop goes on serving others); an abort is the codec's error reply for {@code error}, an
 * {@link ErrorType} name. When a request gets both, the abort follows the delay (as Envoy does).
 *
 * <p>A control plane's per-route fault maps onto one rule whose {@code match} is the route's.
 */
public final class FaultFilterProvider implements FilterProvider {

  @Override
  public String name() {
    return "fault";
  }

  @Override
  public FilterFactory create(Map<String, Object> config, ExtensionContext context) {
    Node root = Node.of("", config).allowOnly("stat_prefix", "rules");
    String prefix = root.field("stat_prefix").text(name());
    List<Node> ruleNodes = root.required("rules").list();
    if (ruleNodes.isEmpty()) {
      throw root.field("rules").error("at least one rule is required");
    }
    List<Rule> rules = new ArrayList<>();
    for (int i = 0; i < ruleNodes.size(); i++) {
      rules.add(Rule.parse(ruleNodes.get(i), i, prefix, context.metrics()));
    }
    Rule[] table = rules.toArray(Rule[]::new);
    Metrics.Gauge active = context.metrics().gauge("protean_fault_active_delays",
        "Requests held by an injected delay right now.", "stat_prefix", prefix);
    return () -> new Fault(table, active);
  }

  /** The error names a rule may give, lower case like the rest of the configuration. */
  static String errorNames() {
    return Arrays.stream(ErrorType.values()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList()
        .toString();
  }

  private record Delay(long nanos, Percentage percent) {}

  private record Abort(ErrorType error, Percentage percent, String message) {}

  private record Rule(MetadataMatcher match, Delay delay, Abort abort,
      Metrics.Counter delays, Metrics.Counter aborts) {

    static Rule parse(Node n, int index, String prefix, Metrics metrics) {
      n.allowOnly("name", "match", "delay", "abort");
      String name = n.field("name").text(Integer.toString(index));
      MetadataMatcher match = new MetadataMatcher(ConfigLoader.conditions(n.field("match")));
      Delay delay = null;
      Node d = n.field("delay").allowOnly("fixed", "percent");
      if (!d.isMissing()) {
        delay = new Delay(d.required("fixed").duration(null).toNanos(),
            Percentage.parse(d.field("percent")));
      }
      Abort abort = null;
      Node a = n.field("abort").allowOnly("error", "percent", "message");
      if (!a.isMissing()) {
        Node e = a.required("error");
        ErrorType error;
        try {
          error = ErrorType.valueOf(e.text().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
          throw e.error("unknown error '" + e.text() + "' (expected one of " + errorNames() + ")");
        }
        abort = new Abort(error, Percentage.parse(a.field("percent")),
            a.field("message").text("fault injected by rule " + name));
      }
      if (delay == null && abort == null) {
        throw n.error("a rule needs a delay, an abort or both");
      }
      return new Rule(match, delay, abort,
          metrics.counter("protean_fault_delays_injected_total", "Requests delayed by the fault "
              + "filter.", "stat_prefix", prefix, "rule", name),
          metrics.counter("protean_fault_aborts_injected_total", "Requests answered with an "
              + "injected error by the fault filter.", "stat_prefix", prefix, "rule", name));
    }
  }

  /** One request's faults: the timer of its delay, cancelled if the request ends first. */
  private static final class Fault implements Filter {
    private final Rule[] rules;
    private final Metrics.Gauge active;
    private ScheduledFuture<?> delayed;

    Fault(Rule[] rules, Metrics.Gauge active) {
      this.rules = rules;
      this.active = active;
    }

    @Override
    public FilterStatus onRequest(FilterContext ctx) {
      Rule rule = null;
      for (Rule r : rules) {
        if (r.match.matches(ctx.request().metadata())) {
          rule = r;
          break;
        }
      }
      if (rule == null) {
        return FilterStatus.CONTINUE;
      }
      Abort abort = rule.abort != null && rule.abort.percent.sample() ? rule.abort : null;
      if (rule.delay != null && rule.delay.percent.sample()) {
        Rule r = rule;
        r.delays.inc();
        active.inc();
        delayed = ctx.executor().schedule(() -> {
          delayed = null;
          active.dec();
          if (abort != null) {
            abort(ctx, r, abort);
          } else {
            ctx.resume();
          }
        }, rule.delay.nanos, TimeUnit.NANOSECONDS);
        return FilterStatus.STOP;
      }
      if (abort != null) {
        abort(ctx, rule, abort);
        return FilterStatus.STOP;
      }
      return FilterStatus.CONTINUE;
    }

    private static void abort(FilterContext ctx, Rule rule, Abort abort) {
      rule.aborts.inc();
      ctx.sendLocalReply(abort.error, abort.message);
    }

    /** The request ended during its delay (the client went away): the timer goes too. */
    @Override
    public void onComplete(FilterContext ctx) {
      if (delayed != null) {
        delayed.cancel(false);
        delayed = null;
        active.dec();
      }
    }
  }
}

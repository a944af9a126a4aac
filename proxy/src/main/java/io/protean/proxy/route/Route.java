package io.protean.proxy.route;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.ProxyConfig.MatchConfig;
import io.protean.proxy.config.ProxyConfig.MatchKind;
import io.protean.proxy.config.ProxyConfig.RouteConfig;
import java.util.List;
import java.util.regex.Pattern;

/** A compiled route: conditions on request metadata, the target cluster and the timeout. */
public final class Route {
  private final String name;
  private final Condition[] conditions;
  private final String cluster;
  private final long timeoutNanos;

  Route(RouteConfig config) {
    this.name = config.name();
    List<MatchConfig> match = config.match();
    this.conditions = new Condition[match.size()];
    for (int i = 0; i < conditions.length; i++) {
      conditions[i] = new Condition(match.get(i));
    }
    this.cluster = config.cluster();
    this.timeoutNanos = config.timeout().toNanos();
  }

  public String name() {
    return name;
  }

  public String cluster() {
    return cluster;
  }

  public long timeoutNanos() {
    return timeoutNanos;
  }

  boolean matches(Metadata metadata) {
    for (Condition c : conditions) {
      if (!c.test(metadata)) {
        return false;
      }
    }
    return true;
  }

  private static final class Condition {
    private final String key;
    private final MatchKind kind;
    private final String value;
    private final Pattern regex;
    private final boolean invert;

    Condition(MatchConfig m) {
      this.key = m.key();
      this.kind = m.kind();
      this.value = m.value();
      this.regex = kind == MatchKind.REGEX ? Pattern.compile(m.value()) : null;
      this.invert = m.invert();
    }

    boolean test(Metadata metadata) {
      String actual = metadata.get(key);
      boolean hit = actual != null && switch (kind) {
        case EXACT -> actual.equals(value);
        case PREFIX -> actual.startsWith(value);
        case REGEX -> regex.matcher(actual).matches();
        case PRESENT -> true;
      };
      return hit != invert;
    }
  }

}

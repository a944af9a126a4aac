package io.protean.proxy.route;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.model.ProxyConfig.MatchConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import java.util.List;
import java.util.regex.Pattern;

/** Conditions on request metadata that must all hold (none: matches everything). Immutable. */
public final class MetadataMatcher {
  private final Condition[] conditions;

  public MetadataMatcher(List<MatchConfig> match) {
    this.conditions = match.stream().map(Condition::new).toArray(Condition[]::new);
  }

  public boolean matches(Metadata metadata) {
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

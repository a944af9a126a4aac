package io.protean.proxy.filter;

import io.protean.proxy.config.model.ConfigException;
import java.util.Map;
import java.util.Set;

/** Checks for the plain-map options native filters receive. */
final class Options {
  private Options() {}

  static void allowOnly(Map<String, Object> config, Set<String> allowed) {
    for (String key : config.keySet()) {
      if (!allowed.contains(key)) {
        throw new ConfigException(key, "unknown field (expected one of " + allowed + ")");
      }
    }
  }

  static String string(Map<String, Object> config, String key, String fallback) {
    Object v = config.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Map || v instanceof Iterable) {
      throw new ConfigException(key, "expected a string");
    }
    return v.toString();
  }
}

package io.protean.proxy.admin;

import java.util.List;
import java.util.Map;

/** A request to the admin endpoint: method, path and query parameters. */
public record AdminRequest(String method, String path, Map<String, List<String>> query) {

  /** The first value of query parameter {@code name}, or {@code fallback}. */
  public String param(String name, String fallback) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? fallback : v.get(0);
  }
}

package io.protean.proxy.route;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.model.ProxyConfig.MatchConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A listener's routes in order; the first route whose conditions all hold wins. Immutable.
 *
 * <p>A long table is indexed on the metadata key whose exact conditions name the most values (an
 * {@code interface} or {@code method} per route, typically): a request is tested only against the
 * routes that require its value of that key and the routes that do not constrain it exactly, in
 * table order. A route requiring another value cannot match, so the first match is the same as a
 * scan's: with 1 000 routes the last one cost 10-22 µs to reach by scanning, ~30 ns indexed
 * (RouteMatchBenchmark).
 */
public final class RouteTable {
  /** Below this many routes a scan is as fast as a lookup. */
  static final int INDEX_FROM = 16;
  private static final int[] NONE = new int[0];

  private final Route[] routes;
  /** The indexed key, or null (a plain scan). */
  private final String indexKey;
  /** For each value of the indexed key: the positions of the routes that require it, ascending. */
  private final Map<String, int[]> byValue;
  /** The positions of the routes that do not require an exact value of the key, ascending. */
  private final int[] unindexed;

  public RouteTable(List<RouteConfig> routes) {
    this.routes = routes.stream().map(Route::new).toArray(Route[]::new);
    this.indexKey = routes.size() >= INDEX_FROM ? mostExactKey(routes) : null;
    Map<String, List<Integer>> positions = new HashMap<>();
    List<Integer> rest = new ArrayList<>();
    for (int i = 0; i < routes.size(); i++) {
      String value = indexKey == null ? null : exactValue(routes.get(i), indexKey);
      if (value == null) {
        rest.add(i);
      } else {
        positions.computeIfAbsent(value, v -> new ArrayList<>()).add(i);
      }
    }
    this.byValue = new HashMap<>();
    positions.forEach((v, p) -> byValue.put(v, p.stream().mapToInt(Integer::intValue).toArray()));
    this.unindexed = rest.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The key whose exact conditions name the most distinct values (the most selective: every
   * service's routes may also require the same {@code version}), or null if no route has one.
   */
  private static String mostExactKey(List<RouteConfig> routes) {
    Map<String, Set<String>> values = new TreeMap<>();
    for (RouteConfig r : routes) {
      for (MatchConfig m : r.match()) {
        if (exact(m)) {
          values.computeIfAbsent(m.key(), k -> new HashSet<>()).add(m.value());
        }
      }
    }
    String best = null;
    for (var e : values.entrySet()) { // a tie goes to the first key in name order
      if (best == null || e.getValue().size() > values.get(best).size()) {
        best = e.getKey();
      }
    }
    return best;
  }

  private static boolean exact(MatchConfig m) {
    return m.kind() == MatchKind.EXACT && !m.invert();
  }

  /** The value the route requires for {@code key}, or null if it requires none exactly. */
  private static String exactValue(RouteConfig route, String key) {
    return route.match().stream().filter(m -> exact(m) && m.key().equals(key))
        .map(MatchConfig::value).findFirst().orElse(null);
  }

  /**
   * The timeout that bounds a request with this metadata: its route's, or when no route matches
   * (the router will answer ROUTE_NOT_FOUND once a filter lets it through) the longest in the
   * table, or the default route timeout for an empty table.
   */
  public long timeoutNanos(Metadata metadata) {
    Route r = match(metadata);
    if (r != null) {
      return r.timeoutNanos();
    }
    long longest = 0;
    for (Route route : routes) {
      longest = Math.max(longest, route.timeoutNanos());
    }
    return longest > 0 ? longest : RouteConfig.DEFAULT_TIMEOUT.toNanos();
  }

  /** The first matching route, or null when none matches. */
  public Route match(Metadata metadata) {
    if (indexKey == null) {
      for (Route r : routes) {
        if (r.matches(metadata)) {
          return r;
        }
      }
      return null;
    }
    String value = metadata.get(indexKey);
    int[] indexed = value == null ? NONE : byValue.getOrDefault(value, NONE);
    // Both lists ascending: walk them merged, in table order.
    int a = 0;
    int b = 0;
    while (a < indexed.length || b < unindexed.length) {
      int next = b >= unindexed.length || a < indexed.length && indexed[a] < unindexed[b]
          ? indexed[a++] : unindexed[b++];
      if (routes[next].matches(metadata)) {
        return routes[next];
      }
    }
    return null;
  }
}

package io.protean.proxy.stream;

import io.protean.abi.filter.FilterFactory;
import io.protean.proxy.observability.ListenerStats;
import io.protean.proxy.route.RouteTable;
import java.util.List;

/**
 * What a request of one listener goes through, in one configuration version: the filter chain
 * and the route table. A request keeps the one it started with until it completes.
 */
public final class StreamConfig {
  private final String listener;
  private final FilterFactory[] filters;
  private final RouteTable routes;
  private final ListenerStats stats;

  public StreamConfig(String listener, List<FilterFactory> filters, RouteTable routes,
      ListenerStats stats) {
    this.listener = listener;
    this.filters = filters.toArray(FilterFactory[]::new);
    this.routes = routes;
    this.stats = stats;
  }

  public String listener() {
    return listener;
  }

  FilterFactory[] filters() {
    return filters;
  }

  RouteTable routes() {
    return routes;
  }

  public ListenerStats stats() {
    return stats;
  }
}

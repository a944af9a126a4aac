package io.protean.proxy.route;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.ProxyConfig.RouteConfig;
import java.util.List;

/** A listener's routes in order; the first route whose conditions all hold wins. Immutable. */
public final class RouteTable {
  private final Route[] routes;

  public RouteTable(List<RouteConfig> routes) {
    this.routes = routes.stream().map(Route::new).toArray(Route[]::new);
  }

  /** The first matching route, or null when none matches. */
  public Route match(Metadata metadata) {
    for (Route r : routes) {
      if (r.matches(metadata)) {
        return r;
      }
    }
    return null;
  }
}

package io.protean.proxy.route;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;

/** A compiled route: conditions on request metadata, the target cluster and the timeout. */
public final class Route {
  private final String name;
  private final MetadataMatcher match;
  private final String cluster;
  private final long timeoutNanos;

  Route(RouteConfig config) {
    this.name = config.name();
    this.match = new MetadataMatcher(config.match());
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
    return match.matches(metadata);
  }
}

package io.protean.proxy.route;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;

/**
 * A compiled route: conditions on request metadata, the target cluster, the timeout, the retry
 * policy and the mirrors.
 */
public final class Route {
  private final String name;
  private final MetadataMatcher match;
  private final String cluster;
  private final long timeoutNanos;
  private final RetryPolicy retry;
  private final Mirror[] mirrors;

  /** A cluster that gets a copy of the route's requests, and the share of them it gets. */
  public record Mirror(String cluster, double fraction) {}

  Route(RouteConfig config) {
    this.name = config.name();
    this.match = new MetadataMatcher(config.match());
    this.cluster = config.cluster();
    this.timeoutNanos = config.timeout().toNanos();
    this.retry = config.retry() == null ? null : new RetryPolicy(config.retry());
    this.mirrors = config.mirror().stream().map(m -> new Mirror(m.cluster(), m.fraction()))
        .toArray(Mirror[]::new);
  }

  /** The retry policy, or null: no retries beyond a failed connect. */
  public RetryPolicy retry() {
    return retry;
  }

  /** The mirror clusters (often none). */
  public Mirror[] mirrors() {
    return mirrors;
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

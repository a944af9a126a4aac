package io.protean.proxy.observability;

/** Metrics of one cluster's active health check (Envoy's {@code health_check.*} stats). */
public final class HealthCheckStats {
  public final Stats.Counter attempts;
  public final Stats.Counter successes;
  public final Stats.Counter failures;
  private final Stats stats;
  private final String cluster;

  public HealthCheckStats(Stats stats, String cluster) {
    this.stats = stats;
    this.cluster = cluster;
    attempts = stats.counter("protean_cluster_health_check_attempts_total",
        "Active health checks started.", "cluster", cluster);
    successes = stats.counter("protean_cluster_health_check_successes_total",
        "Active health checks passed.", "cluster", cluster);
    failures = stats.counter("protean_cluster_health_check_failures_total",
        "Active health checks failed: refused, timed out, closed or a failing answer.",
        "cluster", cluster);
  }

  /** 1 while {@code endpoint} passes the active health check, else 0. */
  public Stats.Gauge endpointHealthy(String endpoint) {
    return stats.gauge("protean_cluster_endpoint_healthy",
        "1 while the endpoint passes the cluster's active health check, else 0.",
        "cluster", cluster, "endpoint", endpoint);
  }
}

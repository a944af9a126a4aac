package io.protean.proxy.observability;

/** Metrics of one upstream cluster (summed over all event loops). */
public final class ClusterStats {
  public final Stats.Gauge upstreamConnections;
  public final Stats.Counter connects;
  public final Stats.Counter connectFailures;
  public final Stats.Counter timeouts;
  public final Stats.Counter upstreamResets;
  public final Stats.Counter requests;
  public final Stats.Counter ejections;
  public final Stats.Counter keepalives;
  public final Stats.Counter dnsResolutions;
  public final Stats.Counter dnsFailures;
  public final Stats.Gauge ejectionsActive;
  public final Stats.Counter staleResponses;
  public final Stats.Gauge pendingRequests;
  public final Stats.Counter connectRetries;
  public final Stats.Counter retries;
  public final Stats.Counter retryOverflows;
  public final Stats.Counter mirrorRequests;
  public final Stats.Counter mirrorFailures;
  public final Stats.Counter mirrorDropped;

  public ClusterStats(Stats stats, String cluster) {
    upstreamConnections = stats.gauge("protean_cluster_upstream_connections",
        "Open upstream connections.", "cluster", cluster);
    connects = stats.counter("protean_cluster_upstream_connects_total",
        "Upstream connections established.", "cluster", cluster);
    connectFailures = stats.counter("protean_cluster_connect_failures_total",
        "Upstream connection attempts that failed or timed out.", "cluster", cluster);
    timeouts = stats.counter("protean_cluster_timeouts_total",
        "Tries that got no response within the route timeout or per_try_timeout.", "cluster", cluster);
    upstreamResets = stats.counter("protean_cluster_upstream_resets_total",
        "Requests in flight when their upstream connection closed.", "cluster", cluster);
    requests = stats.counter("protean_cluster_requests_total",
        "Requests forwarded to the cluster.", "cluster", cluster);
    keepalives = stats.counter("protean_cluster_upstream_keepalives_total",
        "Heartbeats sent on idle upstream connections (upstream_keepalive).", "cluster", cluster);
    dnsResolutions = stats.counter("protean_cluster_dns_resolutions_total",
        "Lookups of a strict_dns cluster's endpoint names.", "cluster", cluster);
    dnsFailures = stats.counter("protean_cluster_dns_failures_total",
        "Lookups of a strict_dns cluster's endpoint names that failed (the last addresses kept).",
        "cluster", cluster);
    ejections = stats.counter("protean_cluster_outlier_ejections_total",
        "Endpoints ejected by outlier detection.", "cluster", cluster);
    ejectionsActive = stats.gauge("protean_cluster_outlier_ejections_active",
        "Endpoints ejected by outlier detection now.", "cluster", cluster);
    staleResponses = stats.counter("protean_cluster_stale_responses_total",
        "Responses that arrived after their request timed out or was abandoned.", "cluster", cluster);
    connectRetries = stats.counter("protean_cluster_connect_retries_total",
        "Requests sent to another endpoint after their connection failed to open.", "cluster", cluster);
    retries = stats.counter("protean_cluster_retries_total",
        "Tries sent again by a route's retry policy.", "cluster", cluster);
    retryOverflows = stats.counter("protean_cluster_retry_overflows_total",
        "Retries the retry budget refused (the failed try's answer went to the client).",
        "cluster", cluster);
    mirrorRequests = stats.counter("protean_cluster_mirror_requests_total",
        "Copies of requests sent to the cluster as a mirror.", "cluster", cluster);
    mirrorFailures = stats.counter("protean_cluster_mirror_failures_total",
        "Mirror copies that failed upstream (connect failure, reset, timeout).", "cluster", cluster);
    mirrorDropped = stats.counter("protean_cluster_mirror_dropped_total",
        "Mirror copies not sent: a circuit breaker at its limit, no healthy endpoint, or the"
            + " connection's write buffer full.", "cluster", cluster);
    pendingRequests = stats.gauge("protean_cluster_pending_requests",
        "Requests sent upstream and waiting for their response.", "cluster", cluster);
  }
}

package io.protean.proxy.cluster;

import io.protean.abi.codec.CodecFactory;
import io.protean.proxy.cluster.lb.LoadBalancer;
import io.protean.abi.codec.HealthCheck;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.cluster.health.OutlierDetector;
import io.protean.proxy.upstream.CircuitBreakers;
import io.protean.proxy.upstream.Endpoint;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.observability.ClusterStats;
import io.protean.proxy.observability.HealthCheckStats;
import io.protean.proxy.observability.Stats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One version of a configured upstream cluster, shared by all event loops (each loop has its own
 * {@code LoopCluster} for it). Immutable: a reload that changes the cluster (or, for
 * {@code type: strict_dns}, a DNS refresh that changes its addresses) builds a new one,
 * which keeps the {@link Endpoint}s (counters, health) whose addresses remain.
 */
public final class Cluster {
  private final ClusterConfig config;
  private final CodecFactory codec;
  private final ClusterStats stats;
  private final List<Endpoint> endpoints;
  private final long generation;
  /** Each loop's balancer; a hash ring or table is built once, with this version. */
  private final Supplier<LoadBalancer> balancers;
  private final HealthCheck protocolCheck;
  private final HealthCheckStats healthStats;
  private final RetryBudget retryBudget;
  private final CircuitBreakers breakers;
  private final OutlierDetector outlier;
  private final HealthCheck keepalive;
  /** For {@code type: strict_dns}: its names' addresses (shared by its versions); else null. */
  private final DnsEndpoints dns;

  private Cluster(ClusterConfig config, CodecFactory codec, ClusterStats stats,
      List<Endpoint> endpoints, long generation, HealthCheck protocolCheck,
      HealthCheckStats healthStats, RetryBudget retryBudget, CircuitBreakers breakers,
      HealthCheck keepalive, DnsEndpoints dns) {
    this.dns = dns;
    this.retryBudget = retryBudget;
    this.breakers = breakers;
    this.keepalive = keepalive;
    this.outlier = config.outlierDetection() == null ? null
        : new OutlierDetector(config.name(), endpoints, config.outlierDetection(), stats);
    this.config = config;
    this.codec = codec;
    this.stats = stats;
    this.endpoints = endpoints;
    this.generation = generation;
    this.balancers = LoadBalancer.factory(config);
    this.protocolCheck = protocolCheck;
    this.healthStats = healthStats;
  }

  /** A cluster without a protocol health check (a TCP one, or none) nor keepalive. */
  public static Cluster build(ClusterConfig config, CodecFactory codec, Stats stats,
      Cluster previous, long generation) {
    return build(config, codec, null, null, stats, previous, generation);
  }

  /**
   * A cluster for {@code config}; {@code previous} (the running version of the same name, or
   * null) lends it the endpoints that remain.
   *
   * @param protocolCheck the codec's health check for {@code config.healthCheck()} of kind
   *                      PROTOCOL, else null
   * @param keepalive the codec's heartbeat for {@code config.keepalive()}, else null
   * @param generation increases with each configuration version (newer wins on a loop)
   */
  public static Cluster build(ClusterConfig config, CodecFactory codec, HealthCheck protocolCheck,
      HealthCheck keepalive, Stats stats, Cluster previous, long generation) {
    return build(config, codec, protocolCheck, keepalive, stats, previous, generation, null);
  }

  /**
   * For {@code type: strict_dns}: this version with its names resolved again (blocking: never on
   * an event loop), or this cluster itself when the addresses are the same. The result keeps the
   * version's generation (it is the same configuration) and the endpoints that remain.
   */
  public Cluster reresolved() {
    List<HostPort> now = dns.resolve(config.endpoints());
    if (now.equals(endpoints.stream().map(Endpoint::address).toList())) {
      return this;
    }
    return build(config, codec, protocolCheck, keepalive, null, this, generation, now);
  }

  /**
   * @param addresses the endpoints' addresses, or null: the configured ones (for strict_dns,
   *                  resolved now)
   */
  private static Cluster build(ClusterConfig config, CodecFactory codec,
      HealthCheck protocolCheck, HealthCheck keepalive, Stats stats, Cluster previous,
      long generation, List<HostPort> addresses) {
    ClusterStats s = previous != null ? previous.stats : new ClusterStats(stats, config.name());
    DnsEndpoints dns = config.strictDns() == null ? null
        : previous != null && previous.dns != null ? previous.dns
        : new DnsEndpoints(config.name(), java.net.InetAddress::getAllByName, s.dnsResolutions,
            s.dnsFailures);
    if (addresses == null) {
      // strict_dns: resolved here, off the event loops (the configuration thread).
      addresses = dns == null ? config.endpoints() : dns.resolve(config.endpoints());
    }
    Map<HostPort, ArrayDeque<Endpoint>> kept = new HashMap<>();
    if (previous != null) {
      previous.endpoints.forEach(e ->
          kept.computeIfAbsent(e.address(), a -> new ArrayDeque<>()).add(e));
    }
    List<Endpoint> endpoints = new ArrayList<>();
    for (HostPort a : addresses) {
      ArrayDeque<Endpoint> same = kept.get(a);
      Endpoint e = same == null ? null : same.poll();
      endpoints.add(e != null ? e : new Endpoint(a));
    }
    HealthCheckStats h = config.healthCheck() == null ? null
        : previous != null && previous.healthStats != null ? previous.healthStats
        : new HealthCheckStats(stats, config.name());
    RetryBudget budget = previous != null ? previous.retryBudget : new RetryBudget();
    // The counts are the cluster's, whatever its version; the limits are applied on publishing.
    CircuitBreakers breakers = previous != null ? previous.breakers
        : new CircuitBreakers(config.circuitBreakers(), stats, config.name());
    return new Cluster(config, codec, s, List.copyOf(endpoints), generation, protocolCheck, h,
        budget, breakers, keepalive, dns);
  }

  public String name() {
    return config.name();
  }

  public ClusterConfig config() {
    return config;
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /** The protocol spoken to this cluster's endpoints. */
  public CodecFactory codec() {
    return codec;
  }

  public ClusterStats stats() {
    return stats;
  }

  /** A load balancer for one loop over {@link #endpoints}, by the configured policy. */
  public LoadBalancer newBalancer() {
    return balancers.get();
  }

  /** The codec's health check when {@code health_checks} asks for a protocol one, else null. */
  public HealthCheck protocolCheck() {
    return protocolCheck;
  }

  /** Metrics of the active health check, or null when the cluster has none. */
  public HealthCheckStats healthStats() {
    return healthStats;
  }

  /** The retries in flight to this cluster (shared by its versions). */
  public RetryBudget retryBudget() {
    return retryBudget;
  }

  /** The circuit breakers (shared by its versions). */
  public CircuitBreakers breakers() {
    return breakers;
  }

  /** This version's outlier detection, or null when it has none. */
  public OutlierDetector outlierDetector() {
    return outlier;
  }

  /** The heartbeat idle upstream connections send, or null for none. */
  public HealthCheck keepalive() {
    return keepalive;
  }

  /** The configuration version this cluster was built for. */
  public long generation() {
    return generation;
  }
}

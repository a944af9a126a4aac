package io.protean.proxy.config.model;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One immutable configuration snapshot: what the YAML loader produces (and the xDS client will).
 * Records compare by value, so a reload can tell what changed: an equal listener, cluster, codec
 * or filter keeps its running object. Serialised as-is by the admin endpoint {@code /config_dump}.
 *
 * @param workers   event loops (threads) serving all listeners and upstream connections; fixed
 *                  at start (a reload that changes it is refused)
 * @param admin     the admin HTTP endpoint, or null when disabled; fixed at start
 * @param maxBufferedRequestBytes bytes of incomplete requests all downstream connections together
 *                  may hold; the connection whose read passes it gets the codec's overload error
 *                  and is closed
 */
public record ProxyConfig(
    int workers, AdminConfig admin, List<ListenerConfig> listeners, List<ClusterConfig> clusters,
    long maxBufferedRequestBytes, XdsConfig xds) {

  /** Default {@code max_buffered_request_bytes}: 256 MiB. */
  public static final long DEFAULT_MAX_BUFFERED_REQUEST_BYTES = 256L << 20;

  /** A configuration without a control plane and with the default buffer limit. */
  public ProxyConfig(int workers, AdminConfig admin, List<ListenerConfig> listeners,
      List<ClusterConfig> clusters) {
    this(workers, admin, listeners, clusters, DEFAULT_MAX_BUFFERED_REQUEST_BYTES, null);
  }

  /** The same configuration with other listeners and clusters (the xDS client's merge). */
  public ProxyConfig with(List<ListenerConfig> listeners, List<ClusterConfig> clusters) {
    return new ProxyConfig(workers, admin, listeners, clusters, maxBufferedRequestBytes, xds);
  }

  /**
   * Where dynamic resources come from (Envoy's bootstrap dynamic_resources and node). Fixed at
   * start: a reload that changes it is refused.
   *
   * @param node                identifies this proxy to the control plane
   * @param servers             xDS management servers, tried in order on each (re)connect
   * @param ads                 one aggregated stream for every type (Envoy's ADS), else one
   *                            stream per type
   * @param delta               incremental xDS (Envoy's DELTA_GRPC), else state of the world
   * @param listeners           whether listeners (and their generic_proxy routes) come over xDS
   * @param clusters            whether clusters (and their endpoints) come over xDS
   * @param initialFetchTimeout how long a listener or cluster waits for the resources it needs
   *                            before it is served without them (Envoy's initial_fetch_timeout)
   */
  public record XdsConfig(
      NodeConfig node, List<HostPort> servers, boolean ads, boolean delta, boolean listeners,
      boolean clusters,
      Duration initialFetchTimeout) {}

  /** Envoy's Node: {@code id}, {@code cluster} and string {@code metadata}. */
  public record NodeConfig(String id, String cluster, Map<String, String> metadata) {}

  /** The admin endpoint. */
  public record AdminConfig(HostPort address) {}

  /**
   * A downstream listener: one address, one protocol, its filters and its route table.
   *
   * @param drainTimeout how long the connections of a draining listener (removed, moved to
   *                     another address, or the proxy stopping) may take to finish their
   *                     requests; then those still in flight get the codec's error
   * @param limits       what one client, and all of them, may hold of the proxy
   */
  public record ListenerConfig(
      String name,
      HostPort address,
      CodecConfig codec,
      List<FilterConfig> filters,
      List<RouteConfig> routes,
      Duration drainTimeout,
      DownstreamLimits limits) {}

  /**
   * A listener's limits on its clients (Envoy's downstream connection limits).
   *
   * @param maxConnections       open connections at most; one more is closed at once and counted
   *                             ({@link Integer#MAX_VALUE}: no limit)
   * @param idleTimeout          a connection with no request active and none arriving for this
   *                             long is closed (null: never)
   * @param maxRequestsPerConnection requests a connection may send; after the last one it drains
   *                             like a connection of a stopping listener
   *                             ({@link Integer#MAX_VALUE}: no limit)
   * @param maxPendingRequestsPerConnection requests of one connection in flight at once; at the
   *                             limit the proxy stops reading from it until one is answered
   * @param requestReadTimeout   a request whose bytes started arriving must be complete within
   *                             this; else it gets the codec's timeout error (when its header
   *                             came) and the connection is closed once its other requests are
   *                             answered (null: no limit)
   */
  public record DownstreamLimits(int maxConnections, Duration idleTimeout,
      int maxRequestsPerConnection, int maxPendingRequestsPerConnection,
      Duration requestReadTimeout) {
    public static final DownstreamLimits DEFAULT = new DownstreamLimits(Integer.MAX_VALUE, null,
        Integer.MAX_VALUE, 1024, Duration.ofSeconds(30));
  }

  /** A codec by name with its options ({@code codec: dubbo} or {@code codec: {dubbo: {...}}}). */
  public record CodecConfig(String name, Map<String, Object> options) {}

  /** A filter by registered name with its config. */
  public record FilterConfig(String name, Map<String, Object> config) {}

  /**
   * A route: all {@code match} conditions must hold (an empty list matches every request).
   *
   * @param cluster    the one cluster the route sends to, or null when {@code clusters} is given
   * @param timeout    time from forwarding the request to the response, and from reading it
   *                   while a filter holds it; then the client gets a timeout error
   * @param clusters   weighted clusters (Envoy's WeightedCluster), empty when {@code cluster} is
   *                   given: each request goes to one of them with a probability proportional
   *                   to its weight
   * @param hashPolicy how to hash a request for a {@code ring_hash} or {@code maglev} cluster
   *                   (Envoy's route hash_policy); empty: no hash
   * @param retry      when and how often a failed try is retried, or null: no retries (a
   *                   connect that fails is still tried on another endpoint, the request never
   *                   left); the timeout spans every retry
   * @param mirror     clusters that get a copy of the route's requests (responses discarded)
   * @param requestMutation  metadata set on the requests this route takes (Aeraki's
   *                   request_mutation), after the filters
   * @param responseMutation metadata set on their responses, before the filters see them
   */
  public record RouteConfig(
      String name, List<MatchConfig> match, String cluster, Duration timeout,
      List<WeightedCluster> clusters, List<HashPolicy> hashPolicy, RetryConfig retry,
      List<MirrorConfig> mirror, Map<String, String> requestMutation,
      Map<String, String> responseMutation) {

    /** A route with one cluster and no hash policy. */
    /** A route's timeout when it names none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    public RouteConfig(String name, List<MatchConfig> match, String cluster, Duration timeout) {
      this(name, match, cluster, timeout, List.of(), List.of(), null, List.of());
    }

    /** A route that changes no metadata. */
    public RouteConfig(String name, List<MatchConfig> match, String cluster, Duration timeout,
        List<WeightedCluster> clusters, List<HashPolicy> hashPolicy, RetryConfig retry,
        List<MirrorConfig> mirror) {
      this(name, match, cluster, timeout, clusters, hashPolicy, retry, mirror, Map.of(), Map.of());
    }

    /** Whether this route may send requests (or their mirror copies) to {@code clusterName}. */
    public boolean sendsTo(String clusterName) {
      return clusterName.equals(cluster)
          || clusters.stream().anyMatch(w -> w.name().equals(clusterName))
          || mirror.stream().anyMatch(m -> m.cluster().equals(clusterName));
    }
  }

  /** One cluster of a route's weighted clusters; weights are relative (0: none of the traffic). */
  public record WeightedCluster(String name, int weight) {}

  /**
   * One input of a request's hash: the value of metadata key {@code key}, if present. The hashes
   * of the present keys are combined; a present key with {@code terminal} ends the list there.
   */
  public record HashPolicy(String key, boolean terminal) {}

  /**
   * A route's retry policy (Envoy's RetryPolicy; the budget is Envoy's cluster retry_budget).
   *
   * @param attempts      retries after the first try (Envoy's num_retries, Istio's attempts)
   * @param on            the conditions that allow a retry
   * @param perTryTimeout each try's timeout, or null: a try may take the whole route timeout
   * @param backoffBase   Envoy's retry_back_off.base_interval: retry n waits a random time in
   *                      [0, min(max, base * 2^(n-1))]
   * @param backoffMax    its max_interval
   * @param budgetPercent retries in flight allowed, as a percentage of the cluster's active
   *                      requests (Envoy's budget_percent)
   * @param minConcurrency retries in flight allowed whatever the percentage (Envoy's
   *                      min_retry_concurrency)
   */
  public record RetryConfig(
      int attempts, List<RetryOn> on, Duration perTryTimeout, Duration backoffBase,
      Duration backoffMax, double budgetPercent, int minConcurrency) {}

  /** A condition that allows a retry: a transport event or a class of response (Codec.classify). */
  public enum RetryOn {
    /** The connection to the endpoint could not be opened (the request never left). */
    CONNECT_FAILURE,
    /** The connection closed with the request in flight. */
    RESET,
    /** The try's {@code per_try_timeout} passed. */
    TIMEOUT,
    /** The server answered that it is overloaded. */
    OVERLOADED,
    /** The server answered that it failed. */
    SERVER_ERROR,
    /** The server answered that it gave up on time. */
    SERVER_TIMEOUT
  }

  /**
   * A copy of each request sent to {@code cluster} (Envoy's request_mirror_policies).
   *
   * @param fraction the share of requests mirrored, 0 to 1 (Envoy's runtime_fraction)
   */
  public record MirrorConfig(String cluster, double fraction) {}

  /** One condition on a request metadata key. */
  public record MatchConfig(String key, MatchKind kind, String value, boolean invert) {}

  /** How a {@link MatchConfig} compares. */
  public enum MatchKind {
    EXACT,
    PREFIX,
    REGEX,
    PRESENT
  }

  /**
   * An upstream cluster of endpoints.
   *
   * @param codec the protocol spoken to the endpoints: given as {@code codec:}, or the codec of
   *              the listeners when they all use one
   * @param circuitBreakers the cluster's limits, over all event loops
   * @param healthCheck the active health check of its endpoints, or null for none
   * @param outlierDetection passive health checking of its endpoints, or null for none
   * @param keepalive the protocol heartbeat on idle upstream connections, or null for none
   * @param strictDns for {@code type: strict_dns}: how often its names are resolved again; null
   *                  for {@code type: static} (names, if any, resolved at connect time)
   */
  public record ClusterConfig(
      String name,
      CodecConfig codec,
      List<HostPort> endpoints,
      LbPolicy lb,
      int connectionsPerEndpoint,
      Duration connectTimeout,
      CircuitBreakersConfig circuitBreakers,
      RingHashConfig ringHash,
      MaglevConfig maglev,
      HealthCheckConfig healthCheck,
      OutlierDetectionConfig outlierDetection,
      KeepaliveConfig keepalive,
      StrictDnsConfig strictDns) {

    /** A cluster with default limits and no ring_hash or maglev options (their defaults apply). */
    public ClusterConfig(String name, CodecConfig codec, List<HostPort> endpoints, LbPolicy lb,
        int connectionsPerEndpoint, Duration connectTimeout) {
      this(name, codec, endpoints, lb, connectionsPerEndpoint, connectTimeout,
          CircuitBreakersConfig.DEFAULT, lb == LbPolicy.RING_HASH ? RingHashConfig.DEFAULT : null,
          lb == LbPolicy.MAGLEV ? MaglevConfig.DEFAULT : null, null, null, null, null);
    }

    /** This cluster with {@code codec}. */
    public ClusterConfig withCodec(CodecConfig codec) {
      return new ClusterConfig(name, codec, endpoints, lb, connectionsPerEndpoint, connectTimeout,
          circuitBreakers, ringHash, maglev, healthCheck, outlierDetection, keepalive, strictDns);
    }
  }

  /**
   * Envoy's STRICT_DNS discovery: each endpoint name is resolved to all its addresses, each
   * address an endpoint, again every {@code refreshRate} (Envoy's {@code dns_refresh_rate}).
   */
  public record StrictDnsConfig(Duration refreshRate) {}

  /**
   * Envoy's cluster.v3 CircuitBreakers (default priority), counted for the whole cluster over
   * all event loops. A request beyond a limit gets the codec's overload reply.
   *
   * @param maxConnections upstream connections open or opening to the cluster
   * @param maxPendingRequests requests queued on a connection that is still opening
   * @param maxRequests requests in flight to the cluster (from routing to the answer)
   * @param maxRetries retries in flight (a request that retries holds one place until it ends)
   */
  public record CircuitBreakersConfig(
      int maxConnections, int maxPendingRequests, int maxRequests, int maxRetries) {
    /**
     * Envoy's defaults, except {@code max_retries}: Envoy ignores it when a retry budget is set,
     * and here every retry policy has one, so by default only the budget limits retries.
     */
    public static final CircuitBreakersConfig DEFAULT =
        new CircuitBreakersConfig(1024, 1024, 1024, Integer.MAX_VALUE);
  }

  /**
   * Envoy's cluster.v3 OutlierDetection: endpoints that fail are ejected (take no new requests)
   * for {@code baseEjectionTime} times the number of times they were ejected (at most
   * {@code maxEjectionTime}), while at most {@code maxEjectionPercent} of the cluster is ejected
   * (always at least one endpoint).
   *
   * @param consecutive5xx server-error answers (the codec's server-error class) or gateway
   *                       failures in a row that eject; 0: off
   * @param consecutiveGatewayFailure connect failures, resets and timeouts in a row; 0: off
   * @param interval how often ejections end and success rates are computed
   * @param successRate the success-rate check, or null: off
   */
  public record OutlierDetectionConfig(
      int consecutive5xx,
      int consecutiveGatewayFailure,
      Duration interval,
      Duration baseEjectionTime,
      Duration maxEjectionTime,
      int maxEjectionPercent,
      SuccessRateConfig successRate) {}

  /**
   * Envoy's success-rate outlier check: each interval, when at least {@code minimumHosts}
   * endpoints had {@code requestVolume} requests, an endpoint whose success rate is below
   * mean - stdevFactor / 1000 * standard deviation is ejected.
   */
  public record SuccessRateConfig(int minimumHosts, int requestVolume, int stdevFactor) {}

  /**
   * The protocol heartbeat (the codec's health-check request) sent on an upstream connection
   * that was idle for {@code interval}, so endpoints that close idle connections keep it.
   *
   * @param options the codec's health-check options (Thrift: {@code method_name}, ...)
   */
  public record KeepaliveConfig(Duration interval, Map<String, Object> options) {}

  /**
   * An active health check (Envoy's cluster.v3 HealthCheck): every {@code interval} (plus a random
   * part of {@code intervalJitter}; {@code noTrafficInterval} while the cluster has never had a
   * request) each endpoint is checked; an answer must come within {@code timeout}.
   * {@code unhealthyThreshold} failures in a row make a healthy endpoint unhealthy,
   * {@code healthyThreshold} successes in a row make an unhealthy one healthy again.
   *
   * @param protocolOptions for {@link HealthCheckKind#PROTOCOL}, the codec's options (the mapping
   *                        under {@code protocol_health_check}); empty for TCP
   */
  public record HealthCheckConfig(
      Duration interval,
      Duration timeout,
      int unhealthyThreshold,
      int healthyThreshold,
      Duration noTrafficInterval,
      Duration intervalJitter,
      HealthCheckKind kind,
      Map<String, Object> protocolOptions) {}

  /** What a health check sends. */
  public enum HealthCheckKind {
    /** A TCP connect, closed at once. */
    TCP,
    /** The codec's own check: a request it builds and an answer it judges. */
    PROTOCOL
  }

  /** Load-balancing policy over a cluster's endpoints. */
  public enum LbPolicy {
    ROUND_ROBIN,
    RANDOM,
    LEAST_REQUEST,
    RING_HASH,
    MAGLEV
  }

  /**
   * Envoy's RingHashLbConfig: the ring has at least {@code minimumRingSize} entries (each
   * endpoint the same share) and at most {@code maximumRingSize}. Set when {@code lb: ring_hash}.
   */
  public record RingHashConfig(int minimumRingSize, int maximumRingSize) {
    public static final RingHashConfig DEFAULT = new RingHashConfig(1024, 8 * 1024 * 1024);
  }

  /** Envoy's MaglevLbConfig: the lookup table's size, a prime. Set when {@code lb: maglev}. */
  public record MaglevConfig(int tableSize) {
    public static final MaglevConfig DEFAULT = new MaglevConfig(65537);
  }

  /** The listener named {@code name}, or null. */
  public ListenerConfig listener(String name) {
    return listeners.stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
  }
}

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
   * @param healthCheck the active health check of its endpoints, or null for none
   */
  public record ClusterConfig(
      String name,
      CodecConfig codec,
      List<HostPort> endpoints,
      LbPolicy lb,
      int connectionsPerEndpoint,
      Duration connectTimeout,
      int maxPendingRequests,
      RingHashConfig ringHash,
      MaglevConfig maglev,
      HealthCheckConfig healthCheck) {

    /** A cluster with no ring_hash or maglev options (their defaults apply). */
    public ClusterConfig(String name, CodecConfig codec, List<HostPort> endpoints, LbPolicy lb,
        int connectionsPerEndpoint, Duration connectTimeout, int maxPendingRequests) {
      this(name, codec, endpoints, lb, connectionsPerEndpoint, connectTimeout, maxPendingRequests,
          lb == LbPolicy.RING_HASH ? RingHashConfig.DEFAULT : null,
          lb == LbPolicy.MAGLEV ? MaglevConfig.DEFAULT : null, null);
    }
  }

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

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
 */
public record ProxyConfig(
    int workers, AdminConfig admin, List<ListenerConfig> listeners, List<ClusterConfig> clusters) {

  /** The admin endpoint. */
  public record AdminConfig(HostPort address) {}

  /**
   * A downstream listener: one address, one protocol, its filters and its route table.
   *
   * @param drainTimeout how long the connections of a removed listener (or of one whose address
   *                     changed) may take to finish their requests before they are closed
   */
  public record ListenerConfig(
      String name,
      HostPort address,
      CodecConfig codec,
      List<FilterConfig> filters,
      List<RouteConfig> routes,
      Duration drainTimeout) {}

  /** A codec by name with its options ({@code codec: dubbo} or {@code codec: {dubbo: {...}}}). */
  public record CodecConfig(String name, Map<String, Object> options) {}

  /** A filter by registered name with its config. */
  public record FilterConfig(String name, Map<String, Object> config) {}

  /**
   * A route: all {@code match} conditions must hold (an empty list matches every request).
   *
   * @param timeout time from forwarding the request to the response; then the client gets a
   *                timeout error (it spans every retry)
   * @param retry   when and how often a failed try is retried, or null: no retries (a connect
   *                that fails is still tried on another endpoint, the request never left)
   * @param mirror  clusters that get a copy of the route's requests (responses discarded)
   */
  public record RouteConfig(
      String name, List<MatchConfig> match, String cluster, Duration timeout,
      RetryConfig retry, List<MirrorConfig> mirror) {

    public RouteConfig(String name, List<MatchConfig> match, String cluster, Duration timeout) {
      this(name, match, cluster, timeout, null, List.of());
    }
  }

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
   */
  public record ClusterConfig(
      String name,
      CodecConfig codec,
      List<HostPort> endpoints,
      LbPolicy lb,
      int connectionsPerEndpoint,
      Duration connectTimeout,
      int maxPendingRequests) {}

  /** Load-balancing policy over a cluster's endpoints. */
  public enum LbPolicy {
    ROUND_ROBIN,
    RANDOM,
    LEAST_REQUEST
  }

  /** The listener named {@code name}, or null. */
  public ListenerConfig listener(String name) {
    return listeners.stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
  }
}

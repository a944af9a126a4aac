package io.protean.proxy.config.model;

import java.util.List;

/**
 * The validated configuration of one proxy process. Built by {@link ConfigLoader}; immutable.
 * Serialised as-is by the admin endpoint {@code /config_dump}.
 *
 * @param workers   event loops (threads) serving all listeners and upstream connections
 * @param admin     the admin HTTP endpoint, or null when disabled
 */
public record ProxyConfig(
    int workers, AdminConfig admin, List<ListenerConfig> listeners, List<ClusterConfig> clusters) {

  /** The admin endpoint. */
  public record AdminConfig(HostPort address) {}

  /** A downstream listener: one address, one protocol, its filters and its route table. */
  public record ListenerConfig(
      String name,
      HostPort address,
      CodecConfig codec,
      List<FilterConfig> filters,
      List<RouteConfig> routes) {}

  /** A codec by name with its options ({@code codec: dubbo} or {@code codec: {dubbo: {...}}}). */
  public record CodecConfig(String name, java.util.Map<String, Object> options) {}

  /** A filter by registered name with its config. */
  public record FilterConfig(String name, java.util.Map<String, Object> config) {}

  /**
   * A route: all {@code match} conditions must hold (an empty list matches every request).
   *
   * @param timeout time from forwarding the request to the response; then the client gets a
   *                timeout error
   */
  public record RouteConfig(
      String name, List<MatchConfig> match, String cluster, java.time.Duration timeout) {}

  /** One condition on a request metadata key. */
  public record MatchConfig(String key, MatchKind kind, String value, boolean invert) {}

  /** How a {@link MatchConfig} compares. */
  public enum MatchKind {
    EXACT,
    PREFIX,
    REGEX,
    PRESENT
  }

  /** An upstream cluster of endpoints speaking the protocol of the listeners that route to it. */
  public record ClusterConfig(
      String name,
      List<HostPort> endpoints,
      LbPolicy lb,
      int connectionsPerEndpoint,
      java.time.Duration connectTimeout,
      int maxPendingRequests) {}

  /** Load-balancing policy over a cluster's endpoints. */
  public enum LbPolicy {
    ROUND_ROBIN,
    RANDOM,
    LEAST_REQUEST
  }
}

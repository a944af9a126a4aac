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
   *                timeout error
   */
  public record RouteConfig(
      String name, List<MatchConfig> match, String cluster, Duration timeout) {}

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
      HealthCheckConfig healthCheck) {}

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
    LEAST_REQUEST
  }

  /** The listener named {@code name}, or null. */
  public ListenerConfig listener(String name) {
    return listeners.stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
  }
}

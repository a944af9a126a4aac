package io.protean.proxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.HealthCheck;
import io.protean.proxy.observability.ClusterStats;

/**
 * How one event loop connects to the endpoints of one cluster version: the protocol, the socket
 * options (a bootstrap bound to the loop), the connections kept per endpoint, the cluster's
 * circuit breakers and the heartbeat of idle connections.
 *
 * @param cluster the cluster's name, for logs and error replies
 * @param keepalive the heartbeat an idle connection sends, or null for none
 * @param keepaliveNanos the idle time after which it is sent (0 without keepalive)
 */
public record UpstreamSettings(
    String cluster, CodecFactory codec, ClusterStats stats, Bootstrap bootstrap, int connections,
    CircuitBreakers breakers, HealthCheck keepalive, long keepaliveNanos) {

  /**
   * Whether connections made with {@code this} can serve {@code next} (same protocol, socket
   * options and keepalive).
   */
  boolean compatible(UpstreamSettings next) {
    return codec == next.codec && keepalive == next.keepalive
        && keepaliveNanos == next.keepaliveNanos
        && bootstrap.config().options().equals(next.bootstrap.config().options());
  }
}

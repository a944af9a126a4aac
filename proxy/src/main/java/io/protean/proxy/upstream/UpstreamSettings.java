package io.protean.proxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.protean.abi.codec.CodecFactory;
import io.protean.proxy.observability.ClusterStats;

/**
 * How one event loop connects to the endpoints of one cluster version: the protocol, the socket
 * options (a bootstrap bound to the loop), the connections kept per endpoint.
 *
 * @param cluster the cluster's name, for logs and error replies
 */
public record UpstreamSettings(
    String cluster, CodecFactory codec, ClusterStats stats, Bootstrap bootstrap, int connections) {

  /** Whether connections made with {@code this} can serve {@code next} (same protocol and socket options). */
  boolean compatible(UpstreamSettings next) {
    return codec == next.codec && bootstrap.config().options().equals(next.bootstrap.config().options());
  }
}

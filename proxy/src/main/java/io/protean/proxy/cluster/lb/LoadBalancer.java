package io.protean.proxy.cluster.lb;

import io.protean.proxy.config.model.ProxyConfig.LbPolicy;

/**
 * Chooses an endpoint for each request. One instance per cluster per event loop, so a policy may
 * keep state (a round-robin cursor) without locks.
 */
public interface LoadBalancer {

  /** The endpoints a policy chooses among, as one event loop sees them. */
  interface Hosts {
    int size();

    /** Whether endpoint {@code i} may take new requests now. */
    boolean healthy(int i);

    /** Requests this loop has waiting on endpoint {@code i}. */
    int activeRequests(int i);
  }

  /** The position of the chosen healthy endpoint in {@code hosts}, or -1 when none is healthy. */
  int choose(Hosts hosts);

  /** A new balancer for {@code policy}. */
  static LoadBalancer of(LbPolicy policy) {
    return switch (policy) {
      case ROUND_ROBIN -> new RoundRobin();
      case RANDOM -> new RandomChoice();
      case LEAST_REQUEST -> new LeastRequest();
    };
  }

  /** The first healthy endpoint at or after {@code start}, wrapping; -1 if none. */
  static int firstHealthy(Hosts hosts, int start) {
    int n = hosts.size();
    for (int i = 0; i < n; i++) {
      int p = start + i < n ? start + i : start + i - n;
      if (hosts.healthy(p)) {
        return p;
      }
    }
    return -1;
  }
}

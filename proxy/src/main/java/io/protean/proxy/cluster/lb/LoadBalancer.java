package io.protean.proxy.cluster.lb;

import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import java.util.function.Supplier;

/**
 * Chooses an endpoint for each request. One instance per cluster per event loop, so a policy may
 * keep state (a round-robin cursor) without locks; the hashing policies share one immutable
 * table among the loops.
 */
public interface LoadBalancer {

  /**
   * The hash of a request that has none (its route has no hash policy, or none of the policy's
   * keys is present). A computed hash that equals it is moved by one ({@link #requestHash}).
   */
  long NO_HASH = Long.MIN_VALUE;

  /** The endpoints a policy chooses among, as one event loop sees them. */
  interface Hosts {
    int size();

    /** Whether endpoint {@code i} may take new requests now. */
    boolean healthy(int i);

    /** Requests this loop has waiting on endpoint {@code i}. */
    int activeRequests(int i);
  }

  /**
   * The position of the chosen healthy endpoint in {@code hosts}, or -1 when none is healthy.
   *
   * @param hash the request's hash, or {@link #NO_HASH}; only {@code ring_hash} and
   *             {@code maglev} use it
   */
  int choose(Hosts hosts, long hash);

  /**
   * The balancers of one cluster version, one per event loop, for {@code config} (whose
   * endpoints, in order, are the {@link Hosts}). A hash ring or table is built here, once per
   * cluster version, and shared by every loop's balancer; a pick never builds one.
   */
  static Supplier<LoadBalancer> factory(ClusterConfig config) {
    return switch (config.lb()) {
      case ROUND_ROBIN -> RoundRobin::new;
      case RANDOM -> RandomChoice::new;
      case LEAST_REQUEST -> LeastRequest::new;
      case RING_HASH -> {
        RingHash ring = RingHash.build(config.endpoints(), config.ringHash());
        yield () -> ring;
      }
      case MAGLEV -> {
        Maglev table = Maglev.build(config.endpoints(), config.maglev());
        yield () -> table;
      }
    };
  }

  /** {@code hash} as a request hash: never {@link #NO_HASH}. */
  static long requestHash(long hash) {
    return hash == NO_HASH ? hash + 1 : hash;
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

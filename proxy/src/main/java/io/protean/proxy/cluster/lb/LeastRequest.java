package io.protean.proxy.cluster.lb;

import java.util.concurrent.ThreadLocalRandom;

/** Power of two choices over this loop's active requests per endpoint (Envoy's default). */
final class LeastRequest implements LoadBalancer {
  @Override
  public int choose(Hosts hosts, long hash) {
    int n = hosts.size();
    if (n == 0) {
      return -1;
    }
    int a = LoadBalancer.firstHealthy(hosts, ThreadLocalRandom.current().nextInt(n));
    int b = LoadBalancer.firstHealthy(hosts, ThreadLocalRandom.current().nextInt(n));
    if (a < 0 || b < 0) {
      return a < 0 ? b : a;
    }
    return hosts.activeRequests(b) < hosts.activeRequests(a) ? b : a;
  }
}

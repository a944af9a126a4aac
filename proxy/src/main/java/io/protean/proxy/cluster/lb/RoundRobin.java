package io.protean.proxy.cluster.lb;

/** Each endpoint in turn, skipping unhealthy ones. */
final class RoundRobin implements LoadBalancer {
  private int next;

  @Override
  public int choose(Hosts hosts, long hash) {
    int n = hosts.size();
    if (n == 0) {
      return -1;
    }
    if (next >= n) {
      next = 0; // the endpoint list shrank
    }
    int chosen = LoadBalancer.firstHealthy(hosts, next);
    next = next + 1 == n ? 0 : next + 1;
    return chosen;
  }
}

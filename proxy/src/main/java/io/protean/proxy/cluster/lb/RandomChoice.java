package io.protean.proxy.cluster.lb;

import java.util.concurrent.ThreadLocalRandom;

/** A uniformly random healthy endpoint (the next healthy one after a random start). */
final class RandomChoice implements LoadBalancer {
  @Override
  public int choose(Hosts hosts, long hash) {
    int n = hosts.size();
    return n == 0 ? -1 : LoadBalancer.firstHealthy(hosts, ThreadLocalRandom.current().nextInt(n));
  }
}

package io.protean.proxy.cluster;

import io.protean.proxy.upstream.Endpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The retries a cluster has in flight, over all event loops, against which a route's retry
 * budget is checked (Envoy's retry_budget: retries in flight at most {@code percent} of the
 * cluster's active requests, or {@code min_concurrency}, whichever is more). The count belongs to
 * the cluster, not the route, because the budget protects the cluster's endpoints: routes that
 * share a cluster share its retries. Lock-free; kept across reloads with the cluster's name.
 */
public final class RetryBudget {
  private final AtomicInteger active = new AtomicInteger();

  /**
   * Takes a place for one retry if the budget allows it now.
   *
   * @param endpoints the cluster's endpoints, whose active requests (over all loops) make the base
   * @return whether the retry may go; if so, {@link #release} must follow once it ends
   */
  public boolean tryAcquire(List<Endpoint> endpoints, double percent, int minConcurrency) {
    long requests = 0;
    for (Endpoint e : endpoints) {
      requests += e.activeRequests.sum();
    }
    long allowed = Math.max(minConcurrency, (long) (requests * percent / 100));
    for (int n = active.get(); ; n = active.get()) {
      if (n >= allowed) {
        return false;
      }
      if (active.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  public void release() {
    active.decrementAndGet();
  }

  /** Retries in flight now (for tests and {@code /clusters}). */
  public int active() {
    return active.get();
  }
}

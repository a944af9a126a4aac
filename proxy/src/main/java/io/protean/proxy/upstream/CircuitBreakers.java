package io.protean.proxy.upstream;

import io.protean.proxy.config.model.ProxyConfig.CircuitBreakersConfig;
import io.protean.proxy.observability.Stats;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cluster's circuit breakers (Envoy's cluster.v3 CircuitBreakers, default priority): counts of
 * connections, pending requests, requests and retries for the whole cluster, over all event
 * loops, each checked against its limit before it grows. Lock-free: a place is taken with one
 * atomic increment, given back when over the limit (so two loops racing for the last place
 * cannot both keep it). Kept across reloads with the cluster's name, so a new version's limits
 * apply to what the old one holds. It lives in the upstream layer because upstream connections
 * count connections and pending requests themselves.
 */
public final class CircuitBreakers {
  /** The limits guarded, as they appear in configuration, metrics and error replies. */
  public enum Resource {
    CONNECTIONS("max_connections"),
    PENDING_REQUESTS("max_pending_requests"),
    REQUESTS("max_requests"),
    RETRIES("max_retries");

    private final String field;

    Resource(String field) {
      this.field = field;
    }

    /** The configuration field of this limit ({@code circuit_breakers.max_requests}, ...). */
    public String field() {
      return field;
    }
  }

  /** Refusals by each breaker, by {@code Resource.ordinal()}. */
  private final Stats.Counter[] overflows = new Stats.Counter[Resource.values().length];
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private volatile CircuitBreakersConfig limits;

  /**
   * Breakers for cluster {@code cluster} with {@code limits}; registers their overflow counters
   * and remaining-capacity gauges in {@code stats}.
   */
  public CircuitBreakers(CircuitBreakersConfig limits, Stats stats, String cluster) {
    this.limits = limits;
    for (Resource r : Resource.values()) {
      overflows[r.ordinal()] = stats.counter("protean_cluster_overflows_total",
          "Requests refused (for max_connections: connections not opened) because a circuit"
              + " breaker was at its limit.", "cluster", cluster, "breaker", r.field());
      stats.sampledGauge("protean_cluster_circuit_breaker_remaining",
          "What a circuit breaker may still take before it refuses (its limit minus what it"
              + " holds).", () -> remaining(r), "cluster", cluster, "breaker", r.field());
    }
  }

  /** Counts one refusal by {@code breaker}. */
  public void overflowed(Resource breaker) {
    overflows[breaker.ordinal()].inc();
  }

  /** Refusals by {@code breaker} so far. */
  public long overflows(Resource breaker) {
    return overflows[breaker.ordinal()].get();
  }

  /** A new cluster version's limits; what is held now stays held. */
  public void limits(CircuitBreakersConfig next) {
    limits = next;
  }

  /** Takes a place for one request in flight; false (nothing taken) at {@code max_requests}. */
  public boolean tryRequest() {
    return tryTake(requests, limits.maxRequests());
  }

  public void requestDone() {
    requests.decrementAndGet();
  }

  /** Takes a place for one request queued on an opening connection. */
  boolean tryPending() {
    return tryTake(pending, limits.maxPendingRequests());
  }

  void pendingDone(int n) {
    if (n > 0) {
      pending.addAndGet(-n);
    }
  }

  /** Takes a place for one connection, open or opening. */
  boolean tryConnection() {
    return tryTake(connections, limits.maxConnections());
  }

  void connectionDone() {
    connections.decrementAndGet();
  }

  /** Takes a place for a request that retries (held until it ends). */
  public boolean tryRetry() {
    return tryTake(retries, limits.maxRetries());
  }

  public void retryDone() {
    retries.decrementAndGet();
  }

  private static boolean tryTake(AtomicInteger count, int limit) {
    if (count.incrementAndGet() <= limit) {
      return true;
    }
    count.decrementAndGet();
    return false;
  }

  /** What {@code resource} may still take now (the remaining-capacity gauge). */
  public long remaining(Resource resource) {
    CircuitBreakersConfig l = limits;
    return switch (resource) {
      case CONNECTIONS -> Math.max(0, l.maxConnections() - connections.get());
      case PENDING_REQUESTS -> Math.max(0, l.maxPendingRequests() - pending.get());
      case REQUESTS -> Math.max(0, l.maxRequests() - requests.get());
      case RETRIES -> Math.max(0, (long) l.maxRetries() - retries.get());
    };
  }

  /** What {@code resource} holds now. */
  public int held(Resource resource) {
    return switch (resource) {
      case CONNECTIONS -> connections.get();
      case PENDING_REQUESTS -> pending.get();
      case REQUESTS -> requests.get();
      case RETRIES -> retries.get();
    };
  }
}

package io.protean.proxy.upstream;

import io.protean.proxy.cluster.Cluster;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.loop.Worker;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's connections to one cluster: {@code connections_per_endpoint} multiplexed
 * connections per endpoint, opened lazily on this loop, shared by every downstream connection of
 * the loop. Confined to the loop: no locks.
 *
 * <p>An endpoint whose connect failed is skipped (backoff from 250 ms doubling to 5 s) until a
 * connect succeeds; when every endpoint is backing off, {@link #pick()} returns null and the
 * request gets "no healthy upstream".
 */
public final class UpstreamPool {
  private static final long BACKOFF_BASE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final long BACKOFF_MAX_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final Cluster cluster;
  private final Worker worker;
  private final Bootstrap bootstrap;
  private final Endpoint[] endpoints;
  private int roundRobin;
  private int pending;

  public UpstreamPool(Cluster cluster, Worker worker) {
    this.cluster = cluster;
    this.worker = worker;
    this.bootstrap = new Bootstrap()
        .group(worker.loop())
        .channel(cluster.channelType())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, cluster.config().connectTimeout().toMillis()));
    List<HostPort> hosts = cluster.endpoints();
    this.endpoints = new Endpoint[hosts.size()];
    for (int i = 0; i < endpoints.length; i++) {
      endpoints[i] = new Endpoint(hosts.get(i), cluster.config().connectionsPerEndpoint());
    }
  }

  public Cluster cluster() {
    return cluster;
  }

  Worker worker() {
    return worker;
  }

  /** True when this loop already has {@code max_pending_requests} requests waiting upstream. */
  public boolean overloaded() {
    return pending >= cluster.config().maxPendingRequests();
  }

  /** Whether any endpoint is out of connect backoff. */
  public boolean hasHealthyEndpoint() {
    return firstHealthy(0) != null;
  }

  /** A connection to an endpoint chosen by the cluster's LB policy, or null if none is healthy. */
  public UpstreamConnection pick() {
    Endpoint e = pickEndpoint();
    return e == null ? null : e.connection();
  }

  private Endpoint pickEndpoint() {
    int n = endpoints.length;
    switch (cluster.config().lb()) {
      case RANDOM -> {
        int start = ThreadLocalRandom.current().nextInt(n);
        return firstHealthy(start);
      }
      case LEAST_REQUEST -> {
        // Power of two choices over this loop's in-flight counts (Envoy's default).
        Endpoint a = firstHealthy(ThreadLocalRandom.current().nextInt(n));
        Endpoint b = firstHealthy(ThreadLocalRandom.current().nextInt(n));
        if (a == null || b == null) {
          return a == null ? b : a;
        }
        return b.inflight < a.inflight ? b : a;
      }
      default -> {
        Endpoint e = firstHealthy(roundRobin);
        roundRobin = (roundRobin + 1) % n;
        return e;
      }
    }
  }

  /** The clock is read only when an endpoint is in backoff: a clock read is ~30 ns here. */
  private Endpoint firstHealthy(int start) {
    long now = 0;
    for (int i = 0; i < endpoints.length; i++) {
      Endpoint e = endpoints[(start + i) % endpoints.length];
      if (e.unhealthyUntil == 0) {
        return e;
      }
      if (now == 0) {
        now = System.nanoTime() | 1; // never 0, so it is read once
      }
      if (now - e.unhealthyUntil >= 0) {
        return e;
      }
    }
    return null;
  }

  void requestStarted(UpstreamConnection c) {
    pending++;
    c.endpoint().inflight++;
    cluster.stats().pendingRequests.inc();
  }

  void requestEnded(UpstreamConnection c) {
    pending--;
    c.endpoint().inflight--;
    cluster.stats().pendingRequests.dec();
  }

  void connectSucceeded(Endpoint e) {
    e.failures = 0;
    e.unhealthyUntil = 0;
  }

  void connectFailed(Endpoint e) {
    long backoff = Math.min(BACKOFF_MAX_NANOS, BACKOFF_BASE_NANOS << Math.min(e.failures, 5));
    e.failures++;
    e.unhealthyUntil = System.nanoTime() + backoff;
  }

  /** Closes every connection (shutdown). */
  public void close() {
    for (Endpoint e : endpoints) {
      for (UpstreamConnection c : e.slots) {
        if (c != null) {
          c.close();
        }
      }
    }
  }

  /** One endpoint's state on this loop. */
  final class Endpoint {
    final HostPort address;
    final UpstreamConnection[] slots;
    int slot = -1;
    long lastBatch = -1;
    int inflight;
    int failures;
    long unhealthyUntil;

    Endpoint(HostPort address, int connections) {
      this.address = address;
      this.slots = new UpstreamConnection[connections];
    }

    /**
     * The connection for this request: the next one per downstream read, not per request. The
     * requests a client pipelined in one write then travel together and their responses come back
     * together: per request, a client's batch was split over the connections and answered in
     * pieces, and the client's next batch split further — 0.28 instead of 0.12 response segments
     * per request to each client, with that many more syscalls and wake-ups on both sides
     * (docs/performance.md).
     */
    UpstreamConnection connection() {
      long batch = worker.readBatch();
      if (batch != lastBatch) {
        lastBatch = batch;
        slot = (slot + 1) % slots.length;
      }
      int i = slot;
      UpstreamConnection c = slots[i];
      if (c == null || !c.usable()) {
        c = new UpstreamConnection(UpstreamPool.this, this);
        c.connect(bootstrap, address.toUnresolvedAddress());
        slots[i] = c;
      }
      return c;
    }
  }
}

package io.protean.proxy.cluster;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.protean.proxy.cluster.lb.LoadBalancer;
import io.protean.proxy.config.model.ProxyConfig.LbPolicy;
import io.protean.proxy.loop.Worker;
import io.protean.proxy.upstream.Endpoint;
import io.protean.proxy.upstream.EndpointPool;
import io.protean.proxy.upstream.UpstreamConnection;
import io.protean.proxy.upstream.UpstreamSettings;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One event loop's view of one cluster: its load balancer and a connection pool per endpoint.
 * Confined to the loop. {@link #update} moves it to a new version of the cluster: pools of the
 * endpoints that remain are kept with their connections, the others drain.
 */
public final class LoopCluster implements LoadBalancer.Hosts {
  private final Worker worker;
  private final Class<? extends Channel> channelType;
  private Cluster cluster;
  private LoadBalancer lb;
  private EndpointPool[] pools;
  /** Set during one {@link #pick}: 0, or the clock read once if an endpoint backs off. */
  private long now;
  /**
   * True while a pick ignores active health checks and ejections: none of the endpoints passes
   * them (Envoy's panic routing, here at a fixed threshold of none healthy), so all are tried
   * rather than none.
   */
  private boolean panic;
  /** Set by the last {@link #pick} that found an endpoint but no connection (max_connections). */
  private boolean connectionOverflow;

  LoopCluster(Cluster cluster, Worker worker, Class<? extends Channel> channelType) {
    this.worker = worker;
    this.channelType = channelType;
    this.cluster = cluster;
    this.lb = cluster.newBalancer();
    UpstreamSettings settings = settings(cluster);
    this.pools = new EndpointPool[cluster.endpoints().size()];
    for (int i = 0; i < pools.length; i++) {
      pools[i] = new EndpointPool(cluster.endpoints().get(i), worker, settings);
    }
  }

  private UpstreamSettings settings(Cluster c) {
    Bootstrap bootstrap = new Bootstrap()
        .group(worker.loop())
        .channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, UpstreamConnection.WATER_MARK)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, c.config().connectTimeout().toMillis()));
    var keepalive = c.config().keepalive();
    return new UpstreamSettings(c.name(), c.codec(), c.stats(), bootstrap,
        c.config().connectionsPerEndpoint(), c.breakers(), c.keepalive(),
        keepalive == null ? 0 : keepalive.interval().toNanos());
  }

  public Cluster cluster() {
    return cluster;
  }

  /** Whether a pick may fall back to panic routing (health checks or ejections exclude). */
  private boolean mayPanic() {
    return cluster.config().healthCheck() != null || cluster.config().outlierDetection() != null;
  }

  /**
   * Whether the last {@link #pick} returned null because the cluster's {@code max_connections}
   * allowed no connection to the endpoint it chose (rather than because none was healthy).
   */
  public boolean connectionOverflow() {
    return connectionOverflow;
  }

  /** Whether any endpoint may take new requests. */
  public boolean hasHealthyEndpoint() {
    now = 0;
    int i = LoadBalancer.firstHealthy(this, 0);
    if (i < 0 && mayPanic()) {
      panic = true;
      i = LoadBalancer.firstHealthy(this, 0);
      panic = false;
    }
    return i >= 0;
  }

  /**
   * A connection to an endpoint chosen by the cluster's policy, or null if none is healthy (or
   * {@link #connectionOverflow}); the endpoints in {@code tried} (a retry's earlier tries; null
   * or empty: none) are avoided while another healthy endpoint exists.
   *
   * @param hash the request's hash ({@link LoadBalancer#NO_HASH}: none), for hashing policies
   */
  public UpstreamConnection pick(long hash, List<Endpoint> tried) {
    now = 0;
    connectionOverflow = false;
    int i = lb.choose(this, hash);
    if (i < 0 && mayPanic()) {
      panic = true;
      i = lb.choose(this, hash);
      panic = false;
    }
    if (i >= 0 && tried != null && !tried.isEmpty() && tried.contains(pools[i].endpoint())) {
      for (int k = 1; k < pools.length; k++) {
        int j = i + k < pools.length ? i + k : i + k - pools.length;
        if (healthy(j) && !tried.contains(pools[j].endpoint())) {
          i = j;
          break;
        }
      }
    }
    if (i < 0) {
      return null;
    }
    UpstreamConnection c = pools[i].connection();
    connectionOverflow = c == null;
    return c;
  }

  @Override
  public int size() {
    return pools.length;
  }

  @Override
  public boolean healthy(int i) {
    Endpoint e = pools[i].endpoint();
    if (!panic && e.excluded()) {
      return false;
    }
    long until = e.unhealthyUntil();
    if (until == 0) {
      return true;
    }
    if (now == 0) {
      now = System.nanoTime() | 1;
    }
    return now - until >= 0;
  }

  @Override
  public int activeRequests(int i) {
    return pools[i].activeRequests();
  }

  /** Moves to {@code next} (a newer version of this cluster). */
  void update(Cluster next) {
    if (next == cluster || next.generation() < cluster.generation()) {
      return;
    }
    // A round-robin cursor survives a new version; a hash table is the new version's own.
    LbPolicy policy = next.config().lb();
    if (policy != cluster.config().lb() || policy == LbPolicy.RING_HASH
        || policy == LbPolicy.MAGLEV) {
      lb = next.newBalancer();
    }
    UpstreamSettings settings = settings(next);
    Map<Endpoint, EndpointPool> old = new IdentityHashMap<>();
    for (EndpointPool p : pools) {
      old.put(p.endpoint(), p);
    }
    EndpointPool[] updated = new EndpointPool[next.endpoints().size()];
    for (int i = 0; i < updated.length; i++) {
      Endpoint e = next.endpoints().get(i);
      EndpointPool p = old.remove(e);
      if (p == null) {
        p = new EndpointPool(e, worker, settings);
      } else {
        p.update(settings);
      }
      updated[i] = p;
    }
    old.values().forEach(EndpointPool::drain);
    pools = updated;
    cluster = next;
  }

  /** The cluster was removed: every connection closes once its requests are answered. */
  void drain() {
    for (EndpointPool p : pools) {
      p.drain();
    }
  }

  void close() {
    for (EndpointPool p : pools) {
      p.close();
    }
  }
}

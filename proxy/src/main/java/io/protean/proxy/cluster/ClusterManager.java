package io.protean.proxy.cluster;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.protean.proxy.loop.Worker;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The clusters of the running configuration, with a per-event-loop view ({@link LoopClusters}).
 * Clusters are added, changed and removed live: {@link #update} publishes the new set, and each
 * loop moves its view at its next task — kept endpoints keep their connections, removed
 * endpoints and clusters drain.
 */
public final class ClusterManager {
  private final Map<EventLoop, LoopClusters> views = new IdentityHashMap<>();
  private volatile Map<String, Cluster> clusters = Map.of();

  /** A manager with a view per loop; {@code channelType} is the transport's socket type. */
  public ClusterManager(Collection<Worker> workers, Class<? extends Channel> channelType) {
    for (Worker w : workers) {
      views.put(w.loop(), new LoopClusters(this, w, channelType));
    }
  }

  /** The view of {@code loop}. */
  public LoopClusters view(EventLoop loop) {
    return views.get(loop);
  }

  /** The current version of the cluster named {@code name}, or null. */
  public Cluster cluster(String name) {
    return clusters.get(name);
  }

  /** The current clusters by name, in configuration order. */
  public Map<String, Cluster> clusters() {
    return clusters;
  }

  /**
   * Makes {@code next} (name to cluster, in configuration order) the set that names resolve in,
   * without moving the loops' views: a cluster a loop has not used yet is made from it on first
   * use, the others stay on the version they have until {@link #update}.
   */
  public void publish(Map<String, Cluster> next) {
    clusters = next;
  }

  /**
   * Publishes {@code next} and moves every loop's view to it. The future completes when every
   * loop has moved.
   */
  public CompletableFuture<Void> update(Map<String, Cluster> next) {
    clusters = next;
    List<CompletableFuture<Void>> moved = new ArrayList<>();
    for (LoopClusters v : views.values()) {
      moved.add(CompletableFuture.runAsync(() -> v.apply(next), v.worker().loop()));
    }
    return CompletableFuture.allOf(moved.toArray(CompletableFuture[]::new));
  }

  /** Closes every upstream connection (shutdown); returns when every loop has. */
  public CompletableFuture<Void> close() {
    List<CompletableFuture<Void>> closed = new ArrayList<>();
    for (LoopClusters v : views.values()) {
      closed.add(CompletableFuture.runAsync(v::close, v.worker().loop()));
    }
    return CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new));
  }
}

package io.protean.proxy.cluster;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.protean.proxy.cluster.health.HealthChecker;
import io.protean.proxy.loop.Worker;
import io.protean.proxy.upstream.Endpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The clusters of the running configuration, with a per-event-loop view ({@link LoopClusters}).
 * Clusters are added, changed and removed live: {@link #update} publishes the new set, and each
 * loop moves its view at its next task — kept endpoints keep their connections, removed
 * endpoints and clusters drain.
 *
 * <p>Each cluster version with {@code health_checks} has one {@link HealthChecker}, on the loop
 * its name hashes to (so the checker of a cluster's next version runs on the same loop, after
 * the old one); clusters no route names are checked too.
 */
public final class ClusterManager {
  private final Map<EventLoop, LoopClusters> views = new IdentityHashMap<>();
  private final List<EventLoop> loops = new ArrayList<>();
  private final Class<? extends Channel> channelType;
  private volatile Map<String, Cluster> clusters = Map.of();
  /** The health checker of each checked cluster version; guarded by itself (reloads only). */
  private final Map<Cluster, HealthChecker> checkers = new IdentityHashMap<>();
  /** The cluster versions whose outlier detection runs; guarded by itself (reloads only). */
  private final Set<Cluster> detected = Collections.newSetFromMap(new IdentityHashMap<>());

  /** A manager with a view per loop; {@code channelType} is the transport's socket type. */
  public ClusterManager(Collection<Worker> workers, Class<? extends Channel> channelType) {
    this.channelType = channelType;
    for (Worker w : workers) {
      views.put(w.loop(), new LoopClusters(this, w, channelType));
      loops.add(w.loop());
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
    applyLimits(next);
    clusters = next;
  }

  /** The circuit breakers (shared by a cluster's versions) take the published version's limits. */
  private static void applyLimits(Map<String, Cluster> next) {
    next.values().forEach(c -> c.breakers().limits(c.config().circuitBreakers()));
  }

  /**
   * Publishes {@code next} and moves every loop's view to it. The future completes when every
   * loop has moved.
   */
  public CompletableFuture<Void> update(Map<String, Cluster> next) {
    applyLimits(next);
    clusters = next;
    updateHealthCheckers(next);
    updateOutlierDetectors(next);
    List<CompletableFuture<Void>> moved = new ArrayList<>();
    for (LoopClusters v : views.values()) {
      moved.add(CompletableFuture.runAsync(() -> v.apply(next), v.worker().loop()));
    }
    return CompletableFuture.allOf(moved.toArray(CompletableFuture[]::new));
  }

  /**
   * Starts the checkers of new checked cluster versions and stops those of versions no longer in
   * {@code next}; an endpoint a new version keeps keeps its verdict.
   */
  private void updateHealthCheckers(Map<String, Cluster> next) {
    synchronized (checkers) {
      Map<Cluster, HealthChecker> kept = new IdentityHashMap<>();
      Set<Endpoint> stillChecked = Collections.newSetFromMap(new IdentityHashMap<>());
      for (Cluster c : next.values()) {
        if (c.config().healthCheck() == null) {
          continue;
        }
        HealthChecker h = checkers.remove(c);
        if (h == null) {
          h = HealthChecker.start(c.name(), c.endpoints(), c.config().healthCheck(),
              c.protocolCheck(), c.codec(), c.healthStats(), () -> c.stats().requests.get() > 0,
              loopOf(c), channelType);
        }
        kept.put(c, h);
        stillChecked.addAll(c.endpoints());
      }
      checkers.values().forEach(h -> h.stop(stillChecked));
      checkers.clear();
      checkers.putAll(kept);
    }
  }

  /**
   * Starts the outlier detection of new cluster versions (on the loop the name hashes to, as the
   * health checks) and stops that of versions no longer in {@code next}; an endpoint a new
   * version keeps keeps its ejection.
   */
  private void updateOutlierDetectors(Map<String, Cluster> next) {
    synchronized (detected) {
      Set<Cluster> kept = Collections.newSetFromMap(new IdentityHashMap<>());
      Set<Endpoint> stillDetected = Collections.newSetFromMap(new IdentityHashMap<>());
      for (Cluster c : next.values()) {
        if (c.outlierDetector() == null) {
          continue;
        }
        if (!detected.remove(c)) {
          c.outlierDetector().start(loopOf(c));
        }
        kept.add(c);
        stillDetected.addAll(c.endpoints());
      }
      detected.forEach(c -> c.outlierDetector().stop(stillDetected));
      detected.clear();
      detected.addAll(kept);
    }
  }

  /** The loop that runs a cluster's checks and decisions: the same for all its versions. */
  private EventLoop loopOf(Cluster c) {
    return loops.get(Math.floorMod(c.name().hashCode(), loops.size()));
  }

  /** Closes every upstream connection (shutdown); returns when every loop has. */
  public CompletableFuture<Void> close() {
    synchronized (checkers) {
      checkers.values().forEach(h -> h.stop(Set.of()));
      checkers.clear();
    }
    synchronized (detected) {
      detected.forEach(c -> c.outlierDetector().stop(Set.of()));
      detected.clear();
    }
    List<CompletableFuture<Void>> closed = new ArrayList<>();
    for (LoopClusters v : views.values()) {
      closed.add(CompletableFuture.runAsync(v::close, v.worker().loop()));
    }
    return CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new));
  }
}

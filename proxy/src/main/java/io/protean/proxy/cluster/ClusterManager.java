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
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clusters of the running configuration, with a per-event-loop view ({@link LoopClusters}).
 * Clusters are added, changed and removed live: {@link #update} publishes the new set, and each
 * loop moves its view at its next task — kept endpoints keep their connections, removed
 * endpoints and clusters drain.
 *
 * <p>Each cluster version with {@code health_checks} has one {@link HealthChecker}, on the loop
 * its name hashes to (so the checker of a cluster's next version runs on the same loop, after
 * the old one); clusters no route names are checked too. Outlier detection runs on the same
 * loop. The names of {@code type: strict_dns} clusters are resolved again on a resolver thread
 * of the manager's own; new addresses make a new version of the cluster, moved to like a reload.
 */
public final class ClusterManager {
  private static final Logger log = LoggerFactory.getLogger(ClusterManager.class);
  private final Map<EventLoop, LoopClusters> views = new IdentityHashMap<>();
  private final List<EventLoop> loops = new ArrayList<>();
  private final Class<? extends Channel> channelType;
  private volatile Map<String, Cluster> clusters = Map.of();
  /** The health checker of each checked cluster version; guarded by itself (reloads only). */
  private final Map<Cluster, HealthChecker> checkers = new IdentityHashMap<>();
  /** Resolves strict_dns clusters' names again, off the event loops; made on first need. */
  private ScheduledExecutorService resolver;
  /** Each strict_dns cluster's refresh, by name; guarded by this. */
  private final Map<String, Refresh> refreshes = new HashMap<>();

  private record Refresh(java.time.Duration rate, ScheduledFuture<?> task) {}

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
   * Makes {@code given} (name to cluster, in configuration order) the set that names resolve in,
   * without moving the loops' views: a cluster a loop has not used yet is made from it on first
   * use, the others stay on the version they have until {@link #update}.
   */
  public synchronized void publish(Map<String, Cluster> given) {
    Map<String, Cluster> next = keepResolved(given);
    applyLimits(next);
    clusters = next;
  }

  /** The circuit breakers (shared by a cluster's versions) take the published version's limits. */
  private static void applyLimits(Map<String, Cluster> next) {
    next.values().forEach(c -> c.breakers().limits(c.config().circuitBreakers()));
  }

  /**
   * Publishes {@code given} and moves every loop's view to it. The future completes when every
   * loop has moved. A strict_dns cluster {@code given} unchanged keeps the addresses a DNS
   * refresh gave it since.
   */
  public synchronized CompletableFuture<Void> update(Map<String, Cluster> given) {
    Map<String, Cluster> next = keepResolved(given);
    applyLimits(next);
    clusters = next;
    updateRefreshes(next);
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

  /**
   * A strict_dns cluster that a reload kept unchanged is, in {@code next}, the version the
   * reload started from, whose addresses a DNS refresh may have replaced since: the refreshed
   * version (same generation) stays.
   */
  private Map<String, Cluster> keepResolved(Map<String, Cluster> next) {
    Map<String, Cluster> kept = null;
    for (Cluster c : next.values()) {
      Cluster now = clusters.get(c.name());
      if (c.config().strictDns() != null && now != null && now != c
          && now.generation() == c.generation() && now.config().equals(c.config())
          && now.codec() == c.codec()) {
        if (kept == null) {
          kept = new java.util.LinkedHashMap<>(next);
        }
        kept.put(c.name(), now);
      }
    }
    return kept == null ? next : Collections.unmodifiableMap(kept);
  }

  /** Starts, reschedules or stops each strict_dns cluster's refresh for {@code next}. */
  private void updateRefreshes(Map<String, Cluster> next) {
    for (var it = refreshes.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Cluster c = next.get(e.getKey());
      if (c == null || c.config().strictDns() == null
          || !c.config().strictDns().refreshRate().equals(e.getValue().rate())) {
        e.getValue().task().cancel(false);
        it.remove();
      }
    }
    for (Cluster c : next.values()) {
      if (c.config().strictDns() == null || refreshes.containsKey(c.name())) {
        continue;
      }
      if (resolver == null) {
        resolver = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "protean-dns");
          t.setDaemon(true);
          return t;
        });
      }
      java.time.Duration rate = c.config().strictDns().refreshRate();
      String name = c.name();
      refreshes.put(name, new Refresh(rate, resolver.scheduleWithFixedDelay(() -> refresh(name),
          rate.toNanos(), rate.toNanos(), TimeUnit.NANOSECONDS)));
    }
  }

  /** On the resolver thread: resolves the cluster's names again; new addresses, new version. */
  private void refresh(String name) {
    Cluster c = clusters.get(name);
    if (c == null || c.config().strictDns() == null) {
      return;
    }
    Cluster next;
    try {
      next = c.reresolved();
    } catch (RuntimeException e) { // never lose the refresh task to a surprise
      log.warn("cluster {}: DNS refresh failed: {}", name, e.toString());
      return;
    }
    if (next == c) {
      return;
    }
    synchronized (this) {
      if (clusters.get(name) != c) {
        return; // a reload or another refresh moved it meanwhile: the next refresh decides
      }
      Map<String, Cluster> moved = new java.util.LinkedHashMap<>(clusters);
      moved.put(name, next);
      log.info("cluster {}: endpoints now {}", name, next.endpoints());
      update(Collections.unmodifiableMap(moved));
    }
  }

  /** The loop that runs a cluster's checks and decisions: the same for all its versions. */
  private EventLoop loopOf(Cluster c) {
    return loops.get(Math.floorMod(c.name().hashCode(), loops.size()));
  }

  /** Closes every upstream connection (shutdown); returns when every loop has. */
  public synchronized CompletableFuture<Void> close() {
    if (resolver != null) {
      resolver.shutdownNow();
    }
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

package io.protean.proxy.cluster;

import io.netty.channel.Channel;
import io.protean.proxy.loop.Worker;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * One event loop's view of the cluster manager: a {@link LoopCluster} per cluster, made on first
 * use, moved to each new cluster version by the manager's update task. Confined to the loop.
 */
public final class LoopClusters {
  private final ClusterManager manager;
  private final Worker worker;
  private final Class<? extends Channel> channelType;
  private final Map<String, LoopCluster> clusters = new HashMap<>();

  LoopClusters(ClusterManager manager, Worker worker, Class<? extends Channel> channelType) {
    this.manager = manager;
    this.worker = worker;
    this.channelType = channelType;
  }

  public Worker worker() {
    return worker;
  }

  /** This loop's view of the cluster named {@code name}, or null when no such cluster exists now. */
  public LoopCluster get(String name) {
    LoopCluster c = clusters.get(name);
    if (c != null) {
      return c;
    }
    Cluster current = manager.cluster(name);
    if (current == null) {
      return null;
    }
    c = new LoopCluster(current, worker, channelType);
    clusters.put(name, c);
    return c;
  }

  /** Runs on the loop: moves every cluster to its version in {@code next}; removed ones drain. */
  void apply(Map<String, Cluster> next) {
    for (Iterator<Map.Entry<String, LoopCluster>> it = clusters.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, LoopCluster> e = it.next();
      Cluster c = next.get(e.getKey());
      if (c == null) {
        e.getValue().drain();
        it.remove();
      } else {
        e.getValue().update(c);
      }
    }
  }

  void close() {
    clusters.values().forEach(LoopCluster::close);
  }
}

package io.protean.proxy.worker;

import io.netty.channel.EventLoop;
import io.protean.proxy.upstream.Cluster;
import io.protean.proxy.upstream.UpstreamPool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one event loop owns: its upstream pools (one per cluster) and its flush batch. Everything
 * here is touched only from {@link #loop()}, so nothing is locked.
 */
public final class Worker {
  private final EventLoop loop;
  private final Map<String, UpstreamPool> pools = new HashMap<>();
  private final List<FlushTarget> dirty = new ArrayList<>();
  private boolean inReadBatch;

  public Worker(EventLoop loop, Iterable<Cluster> clusters) {
    this.loop = loop;
    for (Cluster c : clusters) {
      pools.put(c.name(), new UpstreamPool(c, this));
    }
  }

  public EventLoop loop() {
    return loop;
  }

  /** This loop's pool for {@code cluster}, or null if no such cluster. */
  public UpstreamPool pool(String cluster) {
    return pools.get(cluster);
  }

  /** Closes every upstream connection of this loop. Runs on the loop. */
  public void closePools() {
    pools.values().forEach(UpstreamPool::close);
  }

  /** Marks the start of a read batch: writes made until {@link #endReadBatch()} are flushed then. */
  public void beginReadBatch() {
    inReadBatch = true;
  }

  /** Flushes every channel written during the batch. */
  public void endReadBatch() {
    inReadBatch = false;
    for (int i = 0; i < dirty.size(); i++) {
      dirty.get(i).flush();
    }
    dirty.clear();
  }

  /** Flushes {@code target} now, or at the end of the read batch if one is running. */
  public void flush(FlushTarget target) {
    if (!inReadBatch) {
      target.channel().flush();
    } else if (!target.dirty) {
      target.dirty = true;
      dirty.add(target);
    }
  }
}

package io.protean.proxy.loop;

import io.netty.channel.EventLoop;
import io.netty.util.collection.LongObjectHashMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The services of one event loop that every layer above uses: deadline queues (one per
 * duration), the channels it will flush at the end of the current I/O round, and the identity of
 * the downstream read being handled. Everything here is touched only from {@link #loop()}, so
 * nothing is locked. This package imports nothing of the proxy above it.
 */
public final class Worker {
  private final EventLoop loop;
  private final List<FlushTarget> dirty = new ArrayList<>();
  private boolean flushScheduled;
  private final Runnable flushDirty = this::flushDirty;
  private final LongObjectHashMap<Deadlines> deadlines = new LongObjectHashMap<>();
  private long readBatch;

  public Worker(EventLoop loop) {
    this.loop = loop;
  }

  public EventLoop loop() {
    return loop;
  }

  /** This loop's deadline queue for one duration (a route timeout), made on first use. */
  public Deadlines deadlines(long durationNanos) {
    Deadlines d = deadlines.get(durationNanos);
    if (d == null) {
      d = new Deadlines(loop, durationNanos);
      deadlines.put(durationNanos, d);
    }
    return d;
  }

  /**
   * Identifies the downstream read being handled: requests decoded from one read share it, and
   * an upstream pool sends them over one connection ({@code EndpointPool}).
   */
  public long readBatch() {
    return readBatch;
  }

  /** A downstream connection finished handling one read ({@code channelReadComplete}). */
  public void readBatchEnded() {
    readBatch++;
  }

  /**
   * Flushes {@code target} once the loop has handled every channel that was ready in this round.
   * Netty runs tasks after the I/O of a round, so the first write of a round schedules one task,
   * and every frame decoded from every read of that round — requests from many clients for one
   * upstream connection, responses from both upstream connections for one client — leaves in one
   * write syscall per destination. Flushing per channel read instead sent about three requests
   * per upstream segment at 50k req/s (docs/performance.md).
   */
  public void flush(FlushTarget target) {
    if (target.dirty) {
      return;
    }
    target.dirty = true;
    dirty.add(target);
    if (!flushScheduled) {
      flushScheduled = true;
      loop.execute(flushDirty);
    }
  }

  private void flushDirty() {
    flushScheduled = false;
    // A flush may write more (a failed write closes a channel, whose handlers may answer): index loop.
    for (int i = 0; i < dirty.size(); i++) {
      dirty.get(i).flush();
    }
    dirty.clear();
  }
}

package io.protean.proxy.loop;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deadlines of one duration on one event loop (a route timeout): entries added later expire
 * later, so a FIFO list is in deadline order, adding and removing are O(1), and one scheduled
 * task (for the head) serves them all. Scheduling a task per request on the loop instead cost a
 * task object and two heap operations per request (~2% of the proxy's CPU, docs/performance.md).
 * Confined to the loop.
 */
public final class Deadlines {
  private static final Logger log = LoggerFactory.getLogger(Deadlines.class);

  /** Something with a deadline; a subclass says what expiring means. */
  public abstract static class Entry {
    private long deadline;
    private Entry prev;
    private Entry next;
    private Deadlines owner;

    /** The deadline passed while the entry was queued (it is no longer queued). */
    protected abstract void expired();
  }

  private final EventLoop loop;
  private final long durationNanos;
  private final Runnable fire = this::fire;
  private Entry head;
  private Entry tail;
  private boolean scheduled;

  Deadlines(EventLoop loop, long durationNanos) {
    this.loop = loop;
    this.durationNanos = durationNanos;
  }

  /** Queues {@code e} to expire one duration from now; an entry already queued stays as it is. */
  public void add(Entry e) {
    if (e.owner != null) {
      return;
    }
    e.owner = this;
    e.deadline = System.nanoTime() + durationNanos;
    e.prev = tail;
    if (tail == null) {
      head = e;
    } else {
      tail.next = e;
    }
    tail = e;
    if (!scheduled) {
      scheduled = true;
      loop.schedule(fire, durationNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Forgets {@code e}, if queued here. The scheduled task stays: it finds nothing and moves on. */
  public void remove(Entry e) {
    if (e.owner != this) {
      return;
    }
    if (e.prev == null) {
      head = e.next;
    } else {
      e.prev.next = e.next;
    }
    if (e.next == null) {
      tail = e.prev;
    } else {
      e.next.prev = e.prev;
    }
    e.prev = null;
    e.next = null;
    e.owner = null;
  }

  boolean isEmpty() {
    return head == null;
  }

  private void fire() {
    long now = System.nanoTime();
    while (head != null && head.deadline - now <= 0) {
      Entry e = head;
      remove(e);
      try {
        e.expired();
      } catch (RuntimeException x) {
        log.warn("a deadline handler failed", x); // the other entries still expire
      }
    }
    if (head == null) {
      scheduled = false;
    } else {
      loop.schedule(fire, head.deadline - now, TimeUnit.NANOSECONDS);
    }
  }
}

package io.protean.proxy.listener;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of incomplete requests that all downstream connections of the proxy hold, against
 * {@code max_buffered_request_bytes}. Shared by every event loop without a lock: a connection
 * adds the change of what it holds after a read, an atomic add that a connection whose reads end
 * at message boundaries (most) never makes.
 */
public final class BufferedRequestBytes {
  private final AtomicLong held = new AtomicLong();
  private volatile long max;

  public BufferedRequestBytes(long max) {
    this.max = max;
  }

  /** A reload's new limit. */
  public void max(long bytes) {
    max = bytes;
  }

  /** Bytes held now. */
  public long held() {
    return held.get();
  }

  /** Adds {@code delta} (negative: released); true when the total is now over the limit. */
  boolean add(long delta) {
    return held.addAndGet(delta) > max;
  }
}

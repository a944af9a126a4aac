package io.protean.proxy.upstream;

/** Requests one event loop has waiting upstream for one cluster (its {@code max_pending_requests}). */
public final class PendingRequests {
  private int count;

  public int get() {
    return count;
  }

  void inc() {
    count++;
  }

  void dec() {
    count--;
  }
}

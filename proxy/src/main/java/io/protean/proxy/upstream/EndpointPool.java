package io.protean.proxy.upstream;

import io.protean.proxy.loop.Worker;
import java.util.ArrayList;
import java.util.List;

/**
 * One event loop's connections to one endpoint: {@code connections_per_endpoint} multiplexed
 * connections, opened lazily on this loop, shared by every downstream connection of the loop.
 * Confined to the loop: no locks. A reload that keeps the endpoint keeps this pool and its
 * connections; one that removes it drains them (in-flight requests finish, then they close).
 */
public final class EndpointPool {
  private final Endpoint endpoint;
  private final Worker worker;
  private UpstreamSettings settings;
  private UpstreamConnection[] slots;
  /** Connections replaced by a reload, still finishing their requests. */
  private final List<UpstreamConnection> retired = new ArrayList<>(0);
  private int slot = -1;
  private long lastBatch = -1;
  private int inflight;

  public EndpointPool(Endpoint endpoint, Worker worker, UpstreamSettings settings) {
    this.endpoint = endpoint;
    this.worker = worker;
    this.settings = settings;
    this.slots = new UpstreamConnection[settings.connections()];
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  UpstreamSettings settings() {
    return settings;
  }

  Worker worker() {
    return worker;
  }

  /** Requests this loop has waiting on this endpoint. */
  public int activeRequests() {
    return inflight;
  }

  /**
   * The connection for this request: the next one per downstream read, not per request. The
   * requests a client pipelined in one write then travel together and their responses come back
   * together: per request, a client's batch was split over the connections and answered in
   * pieces, and the client's next batch split further — 0.28 instead of 0.12 response segments
   * per request to each client, with that many more syscalls and wake-ups on both sides
   * (docs/performance.md).
   *
   * <p>A connection is opened only if the cluster's {@code max_connections} allows it; if not,
   * another usable connection of this pool serves the request, and without one the result is
   * null (the request is refused as overloaded).
   */
  public UpstreamConnection connection() {
    long batch = worker.readBatch();
    if (batch != lastBatch) {
      lastBatch = batch;
      slot = slot + 1 >= slots.length ? 0 : slot + 1;
    }
    UpstreamConnection c = slots[slot];
    if (c == null || !c.usable()) {
      if (!settings.breakers().tryConnection()) {
        settings.breakers().overflowed(CircuitBreakers.Resource.CONNECTIONS);
        return anyUsable();
      }
      c = new UpstreamConnection(this);
      slots[slot] = c;
      c.connect();
    }
    return c;
  }

  private UpstreamConnection anyUsable() {
    for (UpstreamConnection c : slots) {
      if (c != null && c.usable()) {
        return c;
      }
    }
    return null;
  }

  /**
   * Moves to a new cluster version's settings. Connections that can serve it stay (the first
   * {@code connections} of them); the others drain.
   */
  public void update(UpstreamSettings next) {
    boolean keep = settings.compatible(next);
    UpstreamConnection[] old = slots;
    settings = next;
    slots = new UpstreamConnection[next.connections()];
    for (int i = 0; i < old.length; i++) {
      if (old[i] == null) {
        continue;
      }
      if (keep && i < slots.length) {
        slots[i] = old[i];
      } else {
        retire(old[i]);
      }
    }
    slot = Math.min(slot, slots.length - 1);
  }

  /** No new requests: every connection closes once its requests are answered. */
  public void drain() {
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] != null) {
        retire(slots[i]);
        slots[i] = null;
      }
    }
  }

  private void retire(UpstreamConnection c) {
    retired.add(c);
    c.drain();
  }

  void closed(UpstreamConnection c) {
    retired.remove(c);
  }

  /** Closes every connection now (shutdown). */
  public void close() {
    for (UpstreamConnection c : slots) {
      if (c != null) {
        c.close();
      }
    }
    new ArrayList<>(retired).forEach(UpstreamConnection::close);
  }

  void requestStarted() {
    inflight++;
    endpoint.activeRequests.increment();
    settings.stats().pendingRequests.inc();
  }

  void requestEnded() {
    inflight--;
    endpoint.activeRequests.decrement();
    settings.stats().pendingRequests.dec();
  }
}

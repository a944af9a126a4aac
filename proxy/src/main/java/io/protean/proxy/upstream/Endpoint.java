package io.protean.proxy.upstream;

import io.protean.proxy.config.model.HostPort;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One upstream endpoint of a cluster, shared by every event loop: its address, its counters for
 * {@code /clusters}, and its health. Health is decided across loops: an endpoint that refused a
 * connection from one loop is skipped by all of them (backoff from 250 ms doubling to 5 s) until a
 * connect succeeds. An active health check (cluster/health) adds its own verdict, read by the same
 * picks, and so does outlier detection's ejection ({@link #excluded}). A reload that keeps the address keeps this object,
 * counters and health.
 */
public final class Endpoint {
  private static final long BACKOFF_BASE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final long BACKOFF_MAX_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final HostPort address;
  /** Open connections to this endpoint, over all loops. */
  public final LongAdder connections = new LongAdder();
  /** Requests forwarded to this endpoint. */
  public final LongAdder requests = new LongAdder();
  /** Requests waiting for this endpoint's answer. */
  public final LongAdder activeRequests = new LongAdder();
  /** Failed connects, resets with requests in flight and timeouts. */
  public final LongAdder errors = new LongAdder();
  /** 0 when healthy, else the nanoTime until which it backs off. */
  private volatile long unhealthyUntil;
  private volatile int failures;
  /** Written by the cluster's health checker only (one event loop), read by every loop's picks. */
  private volatile ActiveHealth activeHealth = ActiveHealth.NOT_CHECKED;
  /** Written by the cluster's outlier detector only (one event loop). */
  private volatile boolean ejected;
  /**
   * Whether picks skip it: it fails its active health check or is ejected. One field, so a pick
   * reads one volatile per candidate whatever is configured; written under this object's lock.
   */
  private volatile boolean excluded;
  /** Outlier detection: server errors or gateway failures in a row, over all loops. */
  public final AtomicInteger consecutive5xx = new AtomicInteger();
  /** Outlier detection: connect failures, resets, timeouts in a row, over all loops. */
  public final AtomicInteger consecutiveGatewayFailures = new AtomicInteger();
  /** Outlier detection: answers and failures in the current interval (success rate). */
  public final LongAdder intervalRequests = new LongAdder();
  public final LongAdder intervalFailures = new LongAdder();
  /** The outlier detector's bookkeeping: its loop only. */
  public int timesEjected;
  public long ejectedUntil;

  /** The verdict of the active health check, as Envoy's host health flags have it. */
  public enum ActiveHealth {
    /** The cluster has no active health check. */
    NOT_CHECKED,
    /** Checked, but no check has finished yet (Envoy's PENDING_ACTIVE_HC): takes no traffic. */
    UNKNOWN,
    HEALTHY,
    /** Failed {@code unhealthy_threshold} checks in a row (or its first): takes no traffic. */
    UNHEALTHY;

    /** The name shown in {@code /clusters}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Endpoint(HostPort address) {
    this.address = address;
  }

  public HostPort address() {
    return address;
  }

  /**
   * 0 while healthy, else the {@code nanoTime} until which it backs off. A pick compares it with
   * a clock it reads only when some endpoint backs off (a read costs ~30 ns).
   */
  public long unhealthyUntil() {
    return unhealthyUntil;
  }

  public ActiveHealth activeHealth() {
    return activeHealth;
  }

  /** Sets the active health check's verdict; only the cluster's health checker calls it. */
  public synchronized void activeHealth(ActiveHealth health) {
    activeHealth = health;
    excluded = ejected || failsActiveHealthCheck();
  }

  /** Whether outlier detection ejected it (no new requests until its ejection time passes). */
  public boolean ejected() {
    return ejected;
  }

  /** Ejects it or brings it back; only the cluster's outlier detector calls it. */
  public synchronized void ejected(boolean ejected) {
    this.ejected = ejected;
    excluded = ejected || failsActiveHealthCheck();
  }

  /** Whether picks skip it: it fails its active health check or is ejected. */
  public boolean excluded() {
    return excluded;
  }

  /** Whether the active health check keeps new requests away (unknown or unhealthy). */
  public boolean failsActiveHealthCheck() {
    ActiveHealth h = activeHealth;
    return h == ActiveHealth.UNKNOWN || h == ActiveHealth.UNHEALTHY;
  }

  /** Whether the endpoint is in connect backoff now (for {@code /clusters}). */
  public boolean backingOff() {
    long until = unhealthyUntil;
    return until != 0 && System.nanoTime() - until < 0;
  }

  public void connectSucceeded() {
    if (unhealthyUntil != 0 || failures != 0) {
      failures = 0;
      unhealthyUntil = 0;
    }
  }

  /** Races between loops only make the backoff a step shorter or longer: no lock. */
  public void connectFailed() {
    int f = failures;
    failures = f + 1;
    unhealthyUntil = (System.nanoTime() + Math.min(BACKOFF_MAX_NANOS,
        BACKOFF_BASE_NANOS << Math.min(f, 5))) | 1;
  }

  @Override
  public String toString() {
    return address.toString();
  }
}

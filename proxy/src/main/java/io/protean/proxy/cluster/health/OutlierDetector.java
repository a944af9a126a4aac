package io.protean.proxy.cluster.health;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.protean.proxy.config.model.ProxyConfig.OutlierDetectionConfig;
import io.protean.proxy.config.model.ProxyConfig.SuccessRateConfig;
import io.protean.proxy.observability.ClusterStats;
import io.protean.proxy.upstream.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outlier detection of one cluster version (Envoy's cluster.v3 OutlierDetection): passive
 * health checking from the answers requests get. Every event loop records each try's outcome
 * on the shared {@link Endpoint} (atomic counters, no lock); the decisions (ejecting, bringing
 * back, success rates) are taken on one event loop, the one the cluster's name hashes to, so
 * they see every loop's outcomes and never race each other.
 *
 * <p>An endpoint is ejected when {@code consecutive_5xx} answers in a row were server errors
 * (the codec's server-error class: {@code SERVER_ERROR}, {@code SERVER_TIMEOUT},
 * {@code OVERLOADED}) or gateway failures, when {@code consecutive_gateway_failure} tries in a row
 * failed to connect, were reset or timed out, or when at an interval its success rate is below
 * mean - stdev_factor/1000 * stdev of the endpoints with enough requests. An ejection lasts
 * {@code base_ejection_time} times the number of times the endpoint was ejected (at most
 * {@code max_ejection_time}); that number goes down by one at each interval the endpoint spends
 * in the rotation. No ejection brings the ejected share of the cluster to
 * {@code max_ejection_percent} or above, except the first (Envoy's rule).
 */
public final class OutlierDetector {
  private static final Logger log = LoggerFactory.getLogger(OutlierDetector.class);

  private final String cluster;
  private final List<Endpoint> endpoints;
  private final OutlierDetectionConfig config;
  private final ClusterStats stats;
  /** Set once by {@link #start}; null before (outcomes are still recorded). */
  private volatile EventLoop loop;
  private ScheduledFuture<?> timer;
  private boolean stopped;

  public OutlierDetector(String cluster, List<Endpoint> endpoints, OutlierDetectionConfig config,
      ClusterStats stats) {
    this.cluster = cluster;
    this.endpoints = endpoints;
    this.config = config;
    this.stats = stats;
  }

  /** Starts the interval on {@code loop}; returns at once. */
  public void start(EventLoop loop) {
    this.loop = loop;
    loop.execute(this::schedule);
  }

  /**
   * Stops the interval. Endpoints not in {@code stillDetected} (removed, or their cluster no
   * longer has outlier detection) come back into the rotation; the others keep their ejection
   * for the detector that takes over. Returns at once.
   */
  public void stop(Set<Endpoint> stillDetected) {
    EventLoop l = loop;
    if (l == null) {
      return;
    }
    l.execute(() -> {
      stopped = true;
      if (timer != null) {
        timer.cancel(false);
      }
      for (Endpoint e : endpoints) {
        if (!stillDetected.contains(e)) {
          if (e.ejected()) {
            uneject(e, "outlier detection stopped");
          }
          e.timesEjected = 0;
        }
      }
    });
  }

  // Outcomes, recorded from any event loop.

  /** An answer that is not a server error. */
  public void success(Endpoint e) {
    e.intervalRequests.increment();
    if (e.consecutive5xx.get() != 0) {
      e.consecutive5xx.set(0);
    }
    if (e.consecutiveGatewayFailures.get() != 0) {
      e.consecutiveGatewayFailures.set(0);
    }
  }

  /** An answer of the codec's server-error class. */
  public void serverError(Endpoint e) {
    e.intervalRequests.increment();
    e.intervalFailures.increment();
    if (e.consecutiveGatewayFailures.get() != 0) {
      e.consecutiveGatewayFailures.set(0);
    }
    count5xx(e);
  }

  /** A connect failure, a reset with the request in flight, or a timeout. */
  public void gatewayFailure(Endpoint e) {
    e.intervalRequests.increment();
    e.intervalFailures.increment();
    int limit = config.consecutiveGatewayFailure();
    if (limit > 0 && e.consecutiveGatewayFailures.incrementAndGet() == limit) {
      ejectSoon(e, "consecutive_gateway_failure");
    }
    count5xx(e); // as in Envoy, a locally seen failure counts as a 5xx too
  }

  private void count5xx(Endpoint e) {
    int limit = config.consecutive5xx();
    if (limit > 0 && e.consecutive5xx.incrementAndGet() == limit) {
      ejectSoon(e, "consecutive_5xx");
    }
  }

  /** Exactly one loop sees a count reach its threshold; the decision moves to the detector's. */
  private void ejectSoon(Endpoint e, String reason) {
    EventLoop l = loop;
    if (l != null) {
      l.execute(() -> eject(e, reason));
    }
  }

  // Decisions, on the detector's loop.

  private void eject(Endpoint e, String reason) {
    e.consecutive5xx.set(0);
    e.consecutiveGatewayFailures.set(0);
    if (stopped || e.ejected()) {
      return;
    }
    int ejectedNow = 0;
    for (Endpoint x : endpoints) {
      if (x.ejected()) {
        ejectedNow++;
      }
    }
    if (100L * ejectedNow >= (long) config.maxEjectionPercent() * endpoints.size()) {
      log.debug("cluster {}: endpoint {} not ejected ({}): max_ejection_percent {} reached",
          cluster, e, reason, config.maxEjectionPercent());
      return;
    }
    e.timesEjected++;
    long nanos = Math.min(config.baseEjectionTime().toNanos() * e.timesEjected,
        config.maxEjectionTime().toNanos());
    e.ejectedUntil = System.nanoTime() + nanos;
    e.ejected(true);
    stats.ejections.inc();
    stats.ejectionsActive.inc();
    log.info("cluster {}: endpoint {} ejected for {} ms ({}, ejection {})", cluster, e,
        TimeUnit.NANOSECONDS.toMillis(nanos), reason, e.timesEjected);
  }

  private void uneject(Endpoint e, String why) {
    e.ejected(false);
    e.consecutive5xx.set(0);
    e.consecutiveGatewayFailures.set(0);
    stats.ejectionsActive.dec();
    log.info("cluster {}: endpoint {} is back in the rotation ({})", cluster, e, why);
  }

  private void schedule() {
    if (!stopped) {
      timer = loop.schedule(this::tick, config.interval().toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Each interval: ejections that are over end, multipliers decay, success rates are judged. */
  private void tick() {
    if (stopped) {
      return;
    }
    long now = System.nanoTime();
    for (Endpoint e : endpoints) {
      if (e.ejected()) {
        if (now - e.ejectedUntil >= 0) {
          uneject(e, "ejection time over");
        }
      } else if (e.timesEjected > 0) {
        e.timesEjected--;
      }
    }
    SuccessRateConfig rate = config.successRate();
    List<Endpoint> judged = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    for (Endpoint e : endpoints) {
      long requests = e.intervalRequests.sumThenReset();
      long failures = e.intervalFailures.sumThenReset();
      if (rate != null && !e.ejected() && requests >= rate.requestVolume()) {
        judged.add(e);
        rates.add((double) (requests - failures) / requests);
      }
    }
    if (rate != null && judged.size() >= rate.minimumHosts()) {
      double mean = rates.stream().mapToDouble(Double::doubleValue).average().orElse(1);
      double variance = rates.stream().mapToDouble(r -> (r - mean) * (r - mean)).sum()
          / rates.size();
      double threshold = mean - rate.stdevFactor() / 1000.0 * Math.sqrt(variance);
      for (int i = 0; i < judged.size(); i++) {
        if (rates.get(i) < threshold) {
          eject(judged.get(i), String.format(java.util.Locale.ROOT,
              "success_rate %.3f below %.3f", rates.get(i), threshold));
        }
      }
    }
    schedule();
  }
}

package io.protean.proxy.route;

import io.protean.proxy.config.model.ProxyConfig.RetryConfig;
import io.protean.proxy.config.model.ProxyConfig.RetryOn;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** A route's retry policy, compiled from its {@link RetryConfig}. Immutable. */
public final class RetryPolicy {
  private final int attempts;
  private final Set<RetryOn> on;
  private final boolean onResponses;
  private final long perTryTimeoutNanos;
  private final long backoffBaseNanos;
  private final long backoffMaxNanos;
  private final double budgetPercent;
  private final int minConcurrency;

  RetryPolicy(RetryConfig c) {
    this.attempts = c.attempts();
    this.on = EnumSet.copyOf(c.on());
    this.onResponses = on.contains(RetryOn.SERVER_ERROR) || on.contains(RetryOn.SERVER_TIMEOUT)
        || on.contains(RetryOn.OVERLOADED);
    this.perTryTimeoutNanos = c.perTryTimeout() == null ? 0 : c.perTryTimeout().toNanos();
    this.backoffBaseNanos = c.backoffBase().toNanos();
    this.backoffMaxNanos = c.backoffMax().toNanos();
    this.budgetPercent = c.budgetPercent();
    this.minConcurrency = c.minConcurrency();
  }

  /** Retries allowed after the first try. */
  public int attempts() {
    return attempts;
  }

  public boolean on(RetryOn condition) {
    return on.contains(condition);
  }

  /** Whether some condition is a class of response (so responses need classifying). */
  public boolean onResponses() {
    return onResponses;
  }

  /** Each try's timeout, or 0 for none. */
  public long perTryTimeoutNanos() {
    return perTryTimeoutNanos;
  }

  public double budgetPercent() {
    return budgetPercent;
  }

  public int minConcurrency() {
    return minConcurrency;
  }

  /**
   * The wait before retry {@code n} (1 for the first): Envoy's fully jittered exponential
   * backoff, a random time in [0, (2^n - 1) * base), capped at the max interval. The jitter keeps
   * the retries of requests that failed together from arriving together.
   */
  public long backoffNanos(int n) {
    long bound = n >= 30 ? backoffMaxNanos
        : Math.min(backoffMaxNanos, ((1L << n) - 1) * backoffBaseNanos);
    return bound <= 0 ? 0 : ThreadLocalRandom.current().nextLong(bound);
  }
}

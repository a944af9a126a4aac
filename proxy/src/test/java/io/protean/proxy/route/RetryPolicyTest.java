package io.protean.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.config.model.ProxyConfig.RetryConfig;
import io.protean.proxy.config.model.ProxyConfig.RetryOn;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private static RetryPolicy policy(List<RetryOn> on) {
    return new RetryPolicy(new RetryConfig(3, on, null, Duration.ofMillis(25),
        Duration.ofMillis(250), 20, 3));
  }

  /** Envoy's full jitter: retry n waits in [0, (2^n - 1) * base), capped at the max interval. */
  @Test
  void backoffIsFullyJitteredAndCapped() {
    RetryPolicy p = policy(List.of(RetryOn.RESET));
    long ms = 1_000_000;
    long[] bounds = {25 * ms, 75 * ms, 175 * ms, 250 * ms, 250 * ms};
    for (int n = 1; n <= bounds.length; n++) {
      long max = 0;
      for (int i = 0; i < 2000; i++) {
        long wait = p.backoffNanos(n);
        assertThat(wait).isBetween(0L, bounds[n - 1] - 1);
        max = Math.max(max, wait);
      }
      // 2000 draws: the largest lies in the top tenth unless the draw is not uniform.
      assertThat(max).isGreaterThan(bounds[n - 1] * 9 / 10);
    }
    assertThat(p.backoffNanos(64)).isBetween(0L, 250 * ms - 1); // no overflow
  }

  @Test
  void responsesAreClassifiedOnlyWhenAConditionIsAClassOfResponse() {
    assertThat(policy(List.of(RetryOn.RESET, RetryOn.TIMEOUT)).onResponses()).isFalse();
    assertThat(policy(List.of(RetryOn.RESET, RetryOn.SERVER_ERROR)).onResponses()).isTrue();
    assertThat(policy(List.of(RetryOn.OVERLOADED)).onResponses()).isTrue();
  }
}

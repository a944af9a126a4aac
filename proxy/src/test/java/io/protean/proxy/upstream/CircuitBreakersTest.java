package io.protean.proxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.config.model.ProxyConfig.CircuitBreakersConfig;
import io.protean.proxy.observability.Stats;
import io.protean.proxy.upstream.CircuitBreakers.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The counts behind the cluster's limits: exact under races, gauges and counters registered. */
class CircuitBreakersTest {

  @Test
  void aLimitTakesExactlyItsNumberOfPlacesAndGivesThemBack() {
    Stats stats = new Stats();
    CircuitBreakers b = new CircuitBreakers(new CircuitBreakersConfig(1, 0, 2, 1), stats, "c");
    assertThat(b.tryRequest()).isTrue();
    assertThat(b.tryRequest()).isTrue();
    assertThat(b.tryRequest()).isFalse();
    assertThat(b.held(Resource.REQUESTS)).isEqualTo(2);
    assertThat(b.remaining(Resource.REQUESTS)).isZero();
    b.requestDone();
    assertThat(b.tryRequest()).isTrue();
    assertThat(b.tryPending()).as("max_pending_requests: 0").isFalse();
    assertThat(b.tryConnection()).isTrue();
    assertThat(b.tryConnection()).isFalse();
    assertThat(b.tryRetry()).isTrue();
    assertThat(b.tryRetry()).isFalse();

    b.overflowed(Resource.REQUESTS);
    assertThat(stats.prometheus())
        .contains("protean_cluster_overflows_total{cluster=\"c\",breaker=\"max_requests\"} 1")
        .contains("protean_cluster_circuit_breaker_remaining{cluster=\"c\",breaker=\"max_requests\"} 0");

    // A new version's limits apply to what is held.
    b.limits(new CircuitBreakersConfig(1, 0, 4, 1));
    assertThat(b.remaining(Resource.REQUESTS)).isEqualTo(2);
    assertThat(stats.prometheus())
        .contains("protean_cluster_circuit_breaker_remaining{cluster=\"c\",breaker=\"max_requests\"} 2");
  }

  @Test
  void threadsRacingForTheLastPlacesNeverTakeMoreThanTheLimit() throws Exception {
    int limit = 1000;
    CircuitBreakers b = new CircuitBreakers(new CircuitBreakersConfig(1, 1, limit, 1),
        new Stats(), "c");
    AtomicInteger taken = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < limit; i++) {
          if (b.tryRequest()) {
            taken.incrementAndGet();
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    assertThat(taken.get()).isEqualTo(limit);
    assertThat(b.held(Resource.REQUESTS)).isEqualTo(limit);
  }
}

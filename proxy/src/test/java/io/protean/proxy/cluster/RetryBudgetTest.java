package io.protean.proxy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.upstream.Endpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  @Test
  void allowsThePercentageOfActiveRequestsOrTheMinimum() {
    Endpoint a = new Endpoint(new HostPort("127.0.0.1", 1));
    Endpoint b = new Endpoint(new HostPort("127.0.0.1", 2));
    List<Endpoint> endpoints = List.of(a, b);
    RetryBudget budget = new RetryBudget();
    // Idle cluster: the minimum.
    assertThat(budget.tryAcquire(endpoints, 20, 2)).isTrue();
    assertThat(budget.tryAcquire(endpoints, 20, 2)).isTrue();
    assertThat(budget.tryAcquire(endpoints, 20, 2)).isFalse();
    // 30 active requests over both endpoints: 20 % is 6.
    a.activeRequests.add(10);
    b.activeRequests.add(20);
    for (int i = 2; i < 6; i++) {
      assertThat(budget.tryAcquire(endpoints, 20, 2)).isTrue();
    }
    assertThat(budget.tryAcquire(endpoints, 20, 2)).isFalse();
    assertThat(budget.active()).isEqualTo(6);
    budget.release();
    assertThat(budget.tryAcquire(endpoints, 20, 2)).isTrue();
    assertThat(budget.tryAcquire(endpoints, 0, 0)).isFalse(); // a zero budget allows nothing
  }
}

package io.protean.proxy.filter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);

  private TokenBucket bucket(long max, long perFill, long intervalNanos) {
    return new TokenBucket(max, perFill, intervalNanos, clock::get);
  }

  private static int drain(TokenBucket b) {
    int n = 0;
    while (b.tryAcquire()) {
      n++;
    }
    return n;
  }

  @Test
  void startsFullAndRefillsOncePerInterval() {
    TokenBucket b = bucket(10, 3, 100);
    assertThat(drain(b)).isEqualTo(10);
    clock.addAndGet(99);
    assertThat(b.tryAcquire()).isFalse();
    clock.addAndGet(1);
    assertThat(drain(b)).isEqualTo(3);
    clock.addAndGet(250); // two more intervals completed
    assertThat(drain(b)).isEqualTo(6);
  }

  @Test
  void neverHoldsMoreThanMaxTokens() {
    TokenBucket b = bucket(5, 2, 100);
    assertThat(drain(b)).isEqualTo(5);
    clock.addAndGet(100L * 1_000_000_000L); // idle for a long time
    assertThat(drain(b)).isEqualTo(5);
  }

  @Test
  void aClockReadBeforeAnotherLoopsRefillDoesNotRefillAgain() {
    TokenBucket b = bucket(4, 4, 100);
    drain(b);
    clock.addAndGet(100);
    assertThat(b.tryAcquire()).isTrue(); // stores interval 1
    clock.addAndGet(-1); // a loop whose clock read was a little earlier (interval 0)
    assertThat(drain(b)).isEqualTo(3);
  }

  @Test
  void concurrentLoopsTakeExactlyTheTokensThereAre() throws Exception {
    TokenBucket b = bucket(100_000, 1, Long.MAX_VALUE / 4); // no refill during the test
    int threads = 4;
    LongAdder taken = new LongAdder();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 50_000; i++) {
          if (b.tryAcquire()) {
            taken.increment();
          }
        }
      });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    assertThat(taken.sum()).isEqualTo(100_000);
    assertThat(b.tokens()).isZero();
  }
}

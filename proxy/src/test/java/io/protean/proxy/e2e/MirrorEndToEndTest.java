package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request mirroring against real Dubbo providers: the mirror gets a copy of each call and its
 * answers are discarded; a hung mirror (SIGSTOP) neither delays nor fails a call, and what it
 * cannot take is dropped and counted, never buffered without bound.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MirrorEndToEndTest {

  private static String config(int primary, int shadow, double fraction, int shadowPending) {
    return """
        workers: 1
        admin: {address: 127.0.0.1:0}
        listeners:
          - name: plain
            address: 127.0.0.1:0
            codec: dubbo
            routes: [{cluster: primary}]
          - name: mirrored
            address: 127.0.0.1:0
            codec: dubbo
            routes: [{cluster: primary, timeout: 60s, mirror: [{cluster: shadow, fraction: %s}]}]
        clusters:
          - {name: primary, endpoints: ["127.0.0.1:%d"]}
          - {name: shadow, endpoints: ["127.0.0.1:%d"], circuit_breakers: {max_requests: %d}}
        """.formatted(fraction, primary, shadow, shadowPending);
  }

  private static long counter(Proxy proxy, String series) {
    return new AdminClient(proxy.adminAddress()).counter(series);
  }

  @Test
  void theMirrorGetsACopyOfEachCallAndItsAnswersAreDiscarded() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (DubboProvider primary = new DubboProvider("primary", pa, "1.0.0", null);
        DubboProvider shadow = new DubboProvider("shadow", pb, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb, 1, 10_000)));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("mirrored").getPort(), "1.0.0", null, 30_000)) {
      for (int i = 0; i < 50; i++) {
        assertThat(consumer.service().greet("c" + i)).isEqualTo("hello c" + i + " from primary");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (shadow.attachments().size() < 50 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(shadow.attachments()).hasSize(50);
      assertThat(primary.attachments()).hasSize(50);
      assertThat(counter(proxy, "protean_cluster_mirror_requests_total{cluster=\"shadow\"}")).isEqualTo(50);
      assertThat(counter(proxy, "protean_cluster_mirror_failures_total{cluster=\"shadow\"}")).isZero();
    }
  }

  @Test
  void aFractionOfTheCallsIsMirrored() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (DubboProvider primary = new DubboProvider("primary", pa, "1.0.0", null);
        DubboProvider shadow = new DubboProvider("shadow", pb, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb, 0.5, 10_000)));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("mirrored").getPort(), "1.0.0", null, 30_000)) {
      for (int i = 0; i < 400; i++) {
        consumer.service().greet("c");
      }
      long mirrored = counter(proxy, "protean_cluster_mirror_requests_total{cluster=\"shadow\"}");
      // Binomial(400, 0.5): a standard deviation of 10, so 120..280 fails once in far more than
      // a lifetime of runs.
      assertThat(mirrored).isBetween(120L, 280L);
    }
  }

  /**
   * The primary's p99 with a hung mirror against its p99 without one, measured in the same run
   * in alternating rounds (one proxy, one provider), so the machine's load is the anchor.
   */
  @Test
  void aHungMirrorNeitherDelaysNorFailsThePrimary() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    int pending = 100;
    int rounds = 5;
    int callsPerRound = 200;
    try (DubboProvider primary = new DubboProvider("primary", pa, "1.0.0", null);
        ProviderProcess shadow = new ProviderProcess("shadow", pb, "1.0.0");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb, 1, pending)));
        DubboConsumer plain = new DubboConsumer(
            proxy.listenerAddress("plain").getPort(), "1.0.0", null, 30_000);
        DubboConsumer mirrored = new DubboConsumer(
            proxy.listenerAddress("mirrored").getPort(), "1.0.0", null, 30_000)) {
      for (int i = 0; i < 200; i++) { // warm both paths (and the mirror's connection)
        plain.service().greet("warm");
        mirrored.service().greet("warm");
      }
      long warmMirrored = counter(proxy, "protean_cluster_mirror_requests_total{cluster=\"shadow\"}");
      assertThat(warmMirrored).isEqualTo(200);
      // Every warm copy answered before the freeze (under load the shadow lags behind): else
      // the ones still in flight would hold places of the pending limit for ever.
      String free = "protean_cluster_circuit_breaker_remaining{cluster=\"shadow\","
          + "breaker=\"max_requests\"}";
      long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (counter(proxy, free) != pending) {
        assertThat(System.nanoTime()).as("warm copies still unanswered").isLessThan(settle);
        Thread.sleep(20);
      }
      shadow.freeze();
      long[] without = new long[rounds * callsPerRound];
      long[] with = new long[rounds * callsPerRound];
      int failures = 0;
      for (int r = 0; r < rounds; r++) {
        failures += measure(plain, without, r * callsPerRound, callsPerRound);
        failures += measure(mirrored, with, r * callsPerRound, callsPerRound);
      }
      double p99Without = p99(without);
      double p99With = p99(with);
      System.out.printf("primary p99: %.2f ms without a mirror, %.2f ms with a hung mirror%n",
          p99Without, p99With);
      assertThat(failures).isZero();
      assertThat(p99With).isLessThanOrEqualTo(2 * p99Without + 5);

      // The hung mirror took copies up to its pending limit; the rest were dropped and counted.
      long sent = counter(proxy, "protean_cluster_mirror_requests_total{cluster=\"shadow\"}") - warmMirrored;
      long dropped = counter(proxy, "protean_cluster_mirror_dropped_total{cluster=\"shadow\"}");
      assertThat(sent).isEqualTo(pending);
      assertThat(sent + dropped).isEqualTo((long) rounds * callsPerRound);

      // The mirror dies with its copies in flight: each is counted as a failure, none leaks.
      shadow.kill();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (counter(proxy, "protean_cluster_mirror_failures_total{cluster=\"shadow\"}") < pending
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(counter(proxy, "protean_cluster_mirror_failures_total{cluster=\"shadow\"}"))
          .isEqualTo(pending);
      assertThat(mirrored.service().greet("after")).isEqualTo("hello after from primary");
    }
  }

  /** Times {@code n} calls into {@code into} from {@code at}; returns the failures. */
  private static int measure(DubboConsumer consumer, long[] into, int at, int n) {
    int failures = 0;
    for (int i = 0; i < n; i++) {
      long start = System.nanoTime();
      try {
        consumer.service().greet("m");
      } catch (RuntimeException e) {
        failures++;
      }
      into[at + i] = System.nanoTime() - start;
    }
    return failures;
  }

  private static double p99(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6;
  }
}

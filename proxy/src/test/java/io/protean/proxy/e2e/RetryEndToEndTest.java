package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.dubbo.rpc.RpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Route retries against real Dubbo providers: one killed (SIGKILL) or hung (SIGSTOP) while the
 * other serves; a provider that fails every call (the retry budget caps the retries); a business
 * exception (never retried).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RetryEndToEndTest {

  /** Two providers (a, b) behind one round-robin cluster and one route with {@code retry}. */
  private static String config(int a, int b, String retry) {
    return config("dubbo", a, b, retry);
  }

  private static String config(String codec, int a, int b, String retry) {
    return """
        workers: 1
        admin: {address: 127.0.0.1:0}
        listeners:
          - name: dubbo
            address: 127.0.0.1:0
            codec: %s
            routes: [{cluster: two, timeout: 20s, retry: %s}]
        clusters:
          - {name: two, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
        """.formatted(codec, retry, a, b);
  }

  private static long counter(Proxy proxy, String family) {
    return new AdminClient(proxy.adminAddress()).counter(family + "{cluster=\"two\"}");
  }

  @Test
  void callsOnAKilledProviderAreRetriedOnTheOther() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (ProviderProcess a = new ProviderProcess("a", pa, "1.0.0");
        ProviderProcess b = new ProviderProcess("b", pb, "1.0.0");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(
            config(pa, pb, "{attempts: 2, on: [connect_failure, reset]}")));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 30_000)) {
      for (int i = 0; i < 4; i++) { // both providers serve
        consumer.service().greet("warm");
      }
      // Round robin sends these alternately to a and b; a dies with its share in flight.
      List<CompletableFuture<String>> calls = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        calls.add(CompletableFuture.supplyAsync(() -> consumer.service().slow(2000)));
        Thread.sleep(50);
      }
      Thread.sleep(700);
      a.kill();
      for (CompletableFuture<String> call : calls) {
        assertThat(call.get(30, TimeUnit.SECONDS)).endsWith("slept 2000 ms");
      }
      // New calls: a refuses connections now, each goes to b.
      for (int i = 0; i < 10; i++) {
        assertThat(consumer.service().greet("after")).isEqualTo("hello after from b");
      }
      assertThat(counter(proxy, "protean_cluster_retries_total")).isGreaterThan(0);
      assertThat(counter(proxy, "protean_cluster_upstream_resets_total")).isGreaterThan(0);
    }
  }

  @Test
  void aHungProviderTimesOutPerTryAndItsLateAnswersAreDropped() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (ProviderProcess a = new ProviderProcess("a", pa, "1.0.0");
        ProviderProcess b = new ProviderProcess("b", pb, "1.0.0");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb,
            "{attempts: 2, on: [timeout, reset, connect_failure], per_try_timeout: 1s}")));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 30_000)) {
      for (int i = 0; i < 4; i++) {
        consumer.service().greet("warm");
      }
      a.freeze();
      try {
        for (int i = 0; i < 10; i++) {
          assertThat(consumer.service().greet("hung")).isEqualTo("hello hung from b");
        }
        long abandoned = counter(proxy, "protean_cluster_timeouts_total");
        assertThat(abandoned).isGreaterThanOrEqualTo(5); // every other try went to a
        assertThat(counter(proxy, "protean_cluster_retries_total")).isEqualTo(abandoned);
      } finally {
        a.thaw();
      }
      // a wakes up and answers the tries the proxy gave up: dropped as stale (and released:
      // leak detection is paranoid), never sent to the client.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (counter(proxy, "protean_cluster_stale_responses_total")
          < counter(proxy, "protean_cluster_timeouts_total") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(counter(proxy, "protean_cluster_stale_responses_total"))
          .isEqualTo(counter(proxy, "protean_cluster_timeouts_total"));
      assertThat(consumer.service().greet("awake")).startsWith("hello awake from ");
    }
  }

  /** A reload that drops the retry policy leaves the requests in flight with the one they began with. */
  @Test
  void aRequestKeepsTheRetryPolicyOfTheRouteItStartedWith() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (ProviderProcess a = new ProviderProcess("a", pa, "1.0.0");
        ProviderProcess b = new ProviderProcess("b", pb, "1.0.0");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb,
            "{attempts: 1, on: [timeout], per_try_timeout: 3s}")));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 30_000)) {
      a.freeze();
      try {
        // The proxy's first pick is the first endpoint: a, which hangs.
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> consumer.service().greet("x"));
        Thread.sleep(500);
        assertThat(proxy.apply(Proxy.configLoader().parse(config(pa, pb, "null"))).outcome())
            .isEqualTo(io.protean.proxy.server.ReloadResult.Outcome.APPLIED);
        assertThat(proxy.config().listeners().get(0).routes().get(0).retry()).isNull();
        // The per-try timeout of the old policy fires and the retry goes to b.
        assertThat(call.get(20, TimeUnit.SECONDS)).isEqualTo("hello x from b");
        assertThat(counter(proxy, "protean_cluster_retries_total")).isEqualTo(1);
      } finally {
        a.thaw();
      }
    }
  }

  @Test
  void aBusinessExceptionIsAnAnswerNotRetried() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (DubboProvider a = new DubboProvider("a", pa, "1.0.0", null);
        DubboProvider b = new DubboProvider("b", pb, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb,
            "{attempts: 3, on: [server_error, server_timeout, overloaded, reset]}")));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 30_000)) {
      for (int i = 0; i < 5; i++) {
        Throwable t = catchThrowable(() -> consumer.service().fail("no such order"));
        assertThat(t).isInstanceOf(IllegalStateException.class).hasMessage("no such order");
      }
      assertThat(counter(proxy, "protean_cluster_retries_total")).isZero();
    }
  }

  /**
   * A Wasm codec classifies through its decode block (ABI.md, response_class): the Rust and Go
   * Dubbo modules say "overloaded" for a provider whose one thread is busy, so the call is retried
   * on the other provider; a business exception is still an answer.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "../example-codecs-rust/wasm/dubbo.wasm", "../example-codecs-tinygo/wasm/dubbo.wasm"})
  void aWasmCodecsResponseClassDrivesRetries(String module) throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (DubboProvider a = new DubboProvider("a", pa, "1.0.0", null, 1);
        DubboProvider b = new DubboProvider("b", pb, "1.0.0", null);
        DubboConsumer direct = new DubboConsumer(pa, "1.0.0", null, 60_000);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(
            "{wasm: {module: " + module + ", engine: compiler}}", pa, pb,
            "{attempts: 1, on: [overloaded, server_error]}")));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 30_000)) {
      CompletableFuture<String> hold = CompletableFuture.supplyAsync(() -> direct.service().slow(20_000));
      Thread.sleep(500); // a's one thread now sleeps: it refuses every other call
      for (int i = 0; i < 6; i++) {
        assertThat(consumer.service().greet("w")).isEqualTo("hello w from b");
      }
      assertThat(counter(proxy, "protean_cluster_retries_total")).isGreaterThanOrEqualTo(3);
      long retries = counter(proxy, "protean_cluster_retries_total");
      Throwable t = catchThrowable(() -> consumer.service().fail("business"));
      // Either provider: b answers with the exception; a (busy) refuses, then b answers.
      assertThat(t).isInstanceOf(IllegalStateException.class).hasMessage("business");
      assertThat(counter(proxy, "protean_cluster_retries_total") - retries).isLessThanOrEqualTo(1);
      hold.cancel(true);
    }
  }

  /**
   * Providers that refuse every call for load (each serves one call at a time, and a slow call
   * holds it: Dubbo answers SERVER_THREADPOOL_EXHAUSTED_ERROR), under concurrent load. Every call
   * would be retried 3 times without a budget (300 %); the budget of 20 % of the active requests
   * allows at most one retry in flight per four first tries in flight (retries count among the
   * active requests, as in Envoy): 25 % of the calls.
   */
  @Test
  void theRetryBudgetCapsRetriesDuringAStorm() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    int callers = 24;
    int callsEach = 40;
    try (DubboProvider a = new DubboProvider("a", pa, "1.0.0", null, 1);
        DubboProvider b = new DubboProvider("b", pb, "1.0.0", null, 1);
        DubboConsumer direct = new DubboConsumer(pa, "1.0.0", null, 60_000);
        DubboConsumer directB = new DubboConsumer(pb, "1.0.0", null, 60_000);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb,
            "{attempts: 3, on: [overloaded], backoff: {base_interval: 1ms},"
                + " budget: {percent: 20, min_concurrency: 1}}")));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 30_000)) {
      // Each provider's one thread sleeps from now on.
      CompletableFuture<String> holdA = CompletableFuture.supplyAsync(() -> direct.service().slow(40_000));
      CompletableFuture<String> holdB = CompletableFuture.supplyAsync(() -> directB.service().slow(40_000));
      Thread.sleep(500);
      Throwable first = catchThrowable(() -> consumer.service().greet("storm"));
      assertThat(first).isInstanceOf(RpcException.class).hasMessageContaining("thread pool is exhausted");
      long retriesBefore = counter(proxy, "protean_cluster_retries_total");
      long requestsBefore = counter(proxy, "protean_cluster_requests_total");

      ExecutorService pool = Executors.newFixedThreadPool(callers);
      AtomicInteger failed = new AtomicInteger();
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
          done.add(pool.submit(() -> {
            for (int i = 0; i < callsEach; i++) {
              if (catchThrowable(() -> consumer.service().greet("storm")) instanceof RpcException) {
                failed.incrementAndGet();
              }
            }
          }));
        }
        for (Future<?> f : done) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      int calls = callers * callsEach;
      assertThat(failed).hasValue(calls); // every call got the provider's refusal, none hung
      long retries = counter(proxy, "protean_cluster_retries_total") - retriesBefore;
      long tries = counter(proxy, "protean_cluster_requests_total") - requestsBefore;
      assertThat(tries).isEqualTo(calls + retries);
      double ratio = (double) retries / calls;
      System.out.printf("retry storm: %d calls, %d retries (%.1f %%), %d refused by the budget%n",
          calls, retries, 100 * ratio, counter(proxy, "protean_cluster_retry_overflows_total"));
      assertThat(retries).isPositive();
      assertThat(ratio).isLessThanOrEqualTo(0.25 + 0.05);
      assertThat(counter(proxy, "protean_cluster_retry_overflows_total")).isPositive();
      holdA.cancel(true);
      holdB.cancel(true);
    }
  }
}

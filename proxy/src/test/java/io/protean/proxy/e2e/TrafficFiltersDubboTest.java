package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import io.protean.proxy.server.ReloadResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.dubbo.rpc.RpcContext;
import org.apache.dubbo.rpc.RpcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The traffic filters — fault, local_ratelimit, rbac — between Apache Dubbo's own consumer and
 * provider (3.3), with the native Dubbo codec: what a Dubbo client meets is a Dubbo error reply
 * from the proxy, never a hang.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrafficFiltersDubboTest {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private DubboProvider provider;
  private Proxy proxy;

  /**
   * The proxy's configuration: {@code keptTokens} is the bucket size of listener {@code kept},
   * {@code extraRoute} adds a route there (a reload that leaves the filter as it is).
   */
  private String config(int keptTokens, boolean extraRoute) {
    return """
        workers: 2
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: fault
            address: 127.0.0.1:0
            codec: dubbo
            filters:
              - fault:
                  rules:
                    - name: hang
                      match: [{key: x-fault, exact: hang}]
                      delay: {fixed: 60s, percent: 100}
                    - name: pause
                      match: [{key: x-fault, exact: pause}]
                      delay: {fixed: 3s, percent: 100}
                    - name: chaos
                      match: [{key: method, exact: greet}, {key: x-fault, exact: chaos}]
                      delay: {fixed: 1ms, percent: 10}
                      abort: {error: overloaded, percent: 25, message: injected}
            routes: [{cluster: provider}]
          - name: limited
            address: 127.0.0.1:0
            codec: dubbo
            filters:
              - local_ratelimit:
                  stat_prefix: limited
                  rules:
                    - name: greet
                      match: [{key: method, exact: greet}]
                      token_bucket: {max_tokens: 100, tokens_per_fill: 20, fill_interval: 100ms}
            routes: [{cluster: provider}]
          - name: kept
            address: 127.0.0.1:0
            codec: dubbo
            filters:
              - local_ratelimit:
                  stat_prefix: kept
                  rules: [{token_bucket: {max_tokens: KEPT_TOKENS, fill_interval: 1h}}]
            routes:
              EXTRA_ROUTE
              - {cluster: provider}
          - name: rbac
            address: 127.0.0.1:0
            codec: dubbo
            filters:
              - rbac:
                  rules:
                    action: allow
                    policies:
                      loopback-greeters:
                        permissions: [{metadata: [{key: method, exact: greet}]}, {metadata: [{key: method, exact: echo}]}]
                        principals: [{direct_remote_ip: 127.0.0.0/8}]
                      ipv6-only:
                        permissions: [{metadata: [{key: method, exact: inspect}]}]
                        principals: [{direct_remote_ip: "::1/128"}]
                  shadow_rules:
                    action: deny
                    policies:
                      no-echo:
                        permissions: [{metadata: [{key: method, exact: echo}]}]
                        principals: [{any: true}]
            routes: [{cluster: provider}]
        clusters:
          - {name: provider, endpoints: ["127.0.0.1:PROVIDER_PORT"]}
        """.replace("KEPT_TOKENS", Integer.toString(keptTokens))
        .replace("EXTRA_ROUTE", extraRoute
            ? "- {match: {metadata: [{key: x-never, present: true}]}, cluster: provider}" : "")
        .replace("PROVIDER_PORT", Integer.toString(provider.port()));
  }

  @BeforeAll
  void start() throws Exception {
    provider = new DubboProvider("p", Ports.free(), "1.0.0", null);
    closeables.add(provider);
    proxy = Proxy.start(Proxy.configLoader().parse(config(3, false)));
    closeables.add(proxy);
  }

  @AfterAll
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private DubboConsumer consumer(String listener) {
    DubboConsumer c = new DubboConsumer(proxy.listenerAddress(listener).getPort(), "1.0.0", null,
        90_000);
    closeables.add(c);
    return c;
  }

  private AdminClient admin() {
    return new AdminClient(proxy.adminAddress());
  }

  private static String greet(DubboConsumer c, String attachment, String value) {
    RpcContext.getClientAttachment().setAttachment(attachment, value);
    return c.service().greet("x");
  }

  // ---- fault ----

  @Test
  void injectedAbortsAndDelaysHitTheirShareOfCalls() throws Exception {
    DubboConsumer c = consumer("fault");
    int calls = 10_000;
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicLong aborted = new AtomicLong();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < calls / threads; i++) {
            Throwable e = catchThrowable(() -> greet(c, "x-fault", "chaos"));
            if (e != null) {
              assertThat(e).isInstanceOf(RpcException.class).hasMessageContaining("protean: injected");
              aborted.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    // 25 % and 10 % of 10 000 calls, each within ±2 points (the standard deviations: 0.43 and 0.3).
    assertThat(aborted.get()).isBetween(2_300L, 2_700L);
    assertThat(admin().counter("protean_fault_aborts_injected_total{stat_prefix=\"fault\",rule=\"chaos\"}"))
        .isEqualTo(aborted.get());
    assertThat(admin().counter("protean_fault_delays_injected_total{stat_prefix=\"fault\",rule=\"chaos\"}"))
        .isBetween(800L, 1_200L);
    assertThat(admin().counter("protean_listener_local_replies_total{listener=\"fault\",reason=\"overloaded\"}"))
        .isEqualTo(aborted.get());
  }

  @Test
  void aDelayedCallDoesNotHoldUpTheOthersOnItsConnection() throws Exception {
    DubboConsumer c = consumer("fault");
    long start = System.nanoTime();
    // One consumer, one connection, so one event loop: a delay that blocked the loop would hold
    // the plain call behind it.
    CompletableFuture<String> paused = CompletableFuture.supplyAsync(() -> greet(c, "x-fault", "pause"));
    waitFor(() -> admin().counter("protean_fault_active_delays{stat_prefix=\"fault\"}") >= 1);
    assertThat(c.service().greet("plain")).isEqualTo("hello plain from p");
    assertThat(paused).isNotDone();
    assertThat(paused.get(30, TimeUnit.SECONDS)).isEqualTo("hello x from p");
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(3));
  }

  @Test
  void aClientThatLeavesDuringADelayIsForgotten() throws Exception {
    // Its own timeout (5 s) ends the abandoned call on the consumer's side; the proxy must have
    // forgotten it long before, and long before the 60 s delay would end.
    DubboConsumer c = new DubboConsumer(proxy.listenerAddress("fault").getPort(), "1.0.0", null, 5_000);
    CompletableFuture<Throwable> hanging = CompletableFuture.supplyAsync(
        () -> catchThrowable(() -> greet(c, "x-fault", "hang")));
    waitFor(() -> admin().counter("protean_fault_active_delays{stat_prefix=\"fault\"}") >= 1);
    assertThat(admin().counter("protean_listener_active_requests{listener=\"fault\"}")).isPositive();
    c.close(); // the connection closes with the call still held by its 60 s delay
    waitFor(() -> admin().counter("protean_fault_active_delays{stat_prefix=\"fault\"}") == 0
        && admin().counter("protean_listener_active_requests{listener=\"fault\"}") == 0);
    assertThat(hanging.get(30, TimeUnit.SECONDS)).isInstanceOf(RpcException.class);
  }

  // ---- local rate limit ----

  @Test
  void consumersAboveTheLimitGetTheConfiguredRateAcrossLoops() throws Exception {
    int consumers = 4; // four connections: both event loops share the bucket
    List<DubboConsumer> cs = new ArrayList<>();
    for (int i = 0; i < consumers; i++) {
      cs.add(consumer("limited"));
      cs.get(i).service().echo("warm"); // not limited (the rule is on greet)
    }
    AtomicLong ok = new AtomicLong();
    AtomicLong limited = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(consumers);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(10);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (DubboConsumer c : cs) {
        done.add(pool.submit(() -> {
          while (System.nanoTime() < end) {
            Throwable e = catchThrowable(() -> c.service().greet("rl"));
            if (e == null) {
              ok.incrementAndGet();
            } else {
              assertThat(e).isInstanceOf(RpcException.class).hasMessageContaining("protean: rate limited");
              limited.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    // 20 tokens per 100 ms, after the 100 the bucket starts with (its size leaves room for a
    // loaded machine that let the consumers take fewer than 20 in some intervals).
    double configured = 100 + 200 * seconds;
    assertThat(limited.get()).as("the consumers pushed above the limit").isGreaterThan(ok.get());
    assertThat((double) ok.get()).as("admitted %d in %.2f s (%d limited), configured %.0f", ok.get(),
        seconds, limited.get(), configured).isBetween(configured * 0.95, configured * 1.05);
    System.out.printf("local_ratelimit: admitted %d in %.2f s (%d limited), configured %.0f%n",
        ok.get(), seconds, limited.get(), configured);
    assertThat(admin().counter("protean_local_ratelimit_requests_total{stat_prefix=\"limited\",rule=\"greet\",decision=\"ok\"}"))
        .isEqualTo(ok.get());
    assertThat(admin().counter("protean_local_ratelimit_requests_total{stat_prefix=\"limited\",rule=\"greet\",decision=\"rate_limited\"}"))
        .isEqualTo(limited.get());
  }

  @Test
  void aReloadThatKeepsTheBucketConfigKeepsItsTokens() {
    DubboConsumer c = consumer("kept");
    for (int i = 0; i < 3; i++) {
      assertThat(c.service().greet("k")).isEqualTo("hello k from p");
    }
    assertThat(catchThrowable(() -> c.service().greet("k"))).hasMessageContaining("protean: rate limited");
    // The listener's routes change, its filter does not: the bucket stays empty.
    ReloadResult r = proxy.apply(Proxy.configLoader().parse(config(3, true)));
    assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.APPLIED);
    assertThat(catchThrowable(() -> c.service().greet("k"))).hasMessageContaining("protean: rate limited");
    // A new bucket config is a new bucket, full.
    r = proxy.apply(Proxy.configLoader().parse(config(4, true)));
    assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.APPLIED);
    assertThat(c.service().greet("k")).isEqualTo("hello k from p");
  }

  // ---- rbac ----

  @Test
  void rbacAllowsByMethodAndPeerAddressAndCountsEachDecision() {
    DubboConsumer c = consumer("rbac");
    assertThat(c.service().greet("r")).isEqualTo("hello r from p");
    assertThat(c.service().echo("e")).isEqualTo("e"); // shadow-denied: only counted
    // inspect is allowed from ::1 only, and this consumer calls from 127.0.0.1.
    Throwable denied = catchThrowable(() -> c.service().inspect(null, java.util.Map.of(), new long[0]));
    assertThat(denied).isInstanceOf(RpcException.class).hasMessageContaining("protean: rbac: access denied");
    assertThat(((RpcException) denied).isTimeout()).isFalse();
    Throwable slow = catchThrowable(() -> c.service().slow(1));
    assertThat(slow).hasMessageContaining("protean: rbac: access denied");
    AdminClient admin = admin();
    assertThat(admin.counter("protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"loopback-greeters\",decision=\"allowed\"}"))
        .isEqualTo(2);
    assertThat(admin.counter("protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"none\",decision=\"denied\"}"))
        .isEqualTo(2);
    assertThat(admin.counter("protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"no-echo\",decision=\"shadow_denied\"}"))
        .isEqualTo(1);
    assertThat(admin.counter("protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"none\",decision=\"shadow_allowed\"}"))
        .isEqualTo(3);
    assertThat(admin.counter("protean_listener_local_replies_total{listener=\"rbac\",reason=\"permission_denied\"}"))
        .isEqualTo(2);
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within 20 s");
      }
      Thread.sleep(20);
    }
  }
}

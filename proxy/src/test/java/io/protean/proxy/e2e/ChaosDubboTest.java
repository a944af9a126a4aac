package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Chaos under load: 16 real Dubbo consumers call three real providers (child JVMs) through the
 * proxy while one provider is killed with SIGKILL, another frozen with SIGSTOP, then both come
 * back. Every call is answered — by a provider or with the proxy's own error — within the route
 * timeout (none hung); the only failures are the calls caught on the dead and the frozen
 * provider before the health check took them out; traffic returns to both once they are back.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ChaosDubboTest {
  private static final int CALLERS = 16;
  private static final long ROUTE_TIMEOUT_MS = 2_000;

  private record Failure(long atNanos, long tookMs, String message) {}

  @Test
  void killedAndFrozenProvidersLoseOnlyTheirCallsInFlightAndComeBack() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    int pc = Ports.free();
    List<AutoCloseable> closeables = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    try {
      ProviderProcess a = add(closeables, new ProviderProcess("a", pa, "1.0.0"));
      ProviderProcess b = add(closeables, new ProviderProcess("b", pb, "1.0.0"));
      add(closeables, new ProviderProcess("c", pc, "1.0.0"));
      Proxy proxy = add(closeables, Proxy.start(Proxy.configLoader().parse("""
          workers: 2
          admin: {address: "127.0.0.1:0"}
          listeners:
            - name: app
              address: "127.0.0.1:0"
              codec: dubbo
              routes: [{cluster: app, timeout: %dms}]
          clusters:
            - name: app
              endpoints: ["127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d"]
              health_checks:
                - {interval: 300ms, timeout: 300ms, unhealthy_threshold: 2, healthy_threshold: 1,
                   no_traffic_interval: 300ms, protocol_health_check: {}}
          """.formatted(ROUTE_TIMEOUT_MS, pa, pb, pc))));
      int port = proxy.listenerAddress("app").getPort();

      Map<String, AtomicLong> lastReplyNanos = new ConcurrentHashMap<>();
      AtomicLong calls = new AtomicLong();
      AtomicLong longest = new AtomicLong();
      ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
      for (int i = 0; i < CALLERS; i++) {
        // The client's own timeout is well past the route's: a call the proxy left hanging
        // would show as a client timeout, not as the proxy's error.
        DubboConsumer c = add(closeables, new DubboConsumer(port, "1.0.0", null, 10_000));
        Thread t = new Thread(() -> {
          while (running.get()) {
            long start = System.nanoTime();
            try {
              String reply = c.service().slow(20);
              lastReplyNanos.computeIfAbsent(reply.substring(0, 1), k -> new AtomicLong())
                  .set(System.nanoTime());
            } catch (RuntimeException e) {
              failures.add(new Failure(start, ms(System.nanoTime() - start), e.getMessage()));
            }
            calls.incrementAndGet();
            longest.accumulateAndGet(ms(System.nanoTime() - start), Math::max);
          }
        }, "caller-" + i);
        t.start();
        callers.add(t);
      }
      Thread.sleep(1_500);
      assertThat(failures).as("before any chaos").isEmpty();

      a.kill();
      long killedAt = System.nanoTime();
      Thread.sleep(2_000);
      b.freeze();
      long frozenAt = System.nanoTime();
      Thread.sleep(3_000);
      long settledFailures = failures.size();
      Thread.sleep(1_000);
      assertThat(failures).as("failures once the health check took both out")
          .hasSize((int) settledFailures);

      ProviderProcess a2 = add(closeables, new ProviderProcess("a", pa, "1.0.0"));
      b.thaw();
      long backAt = System.nanoTime();
      long deadline = backAt + TimeUnit.SECONDS.toNanos(10);
      while ((since(lastReplyNanos, "a", backAt) || since(lastReplyNanos, "b", backAt))
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      long aBack = ms(lastReplyNanos.get("a").get() - backAt);
      long bBack = ms(lastReplyNanos.get("b").get() - backAt);
      running.set(false);
      for (Thread t : callers) {
        t.join(15_000);
      }

      System.out.printf("chaos: %d calls, %d failed, longest %d ms; a back after %d ms, b after"
          + " %d ms%n", calls.get(), failures.size(), longest.get(), aBack, bBack);
      failures.forEach(f -> System.out.printf("  failed after %d ms (%d ms after the kill): %s%n",
          f.tookMs, ms(f.atNanos - killedAt),
          f.message.substring(Math.max(0, f.message.lastIndexOf("cause: ")))));
      assertThat(longest.get()).as("no call hung past the route timeout")
          .isLessThanOrEqualTo(ROUTE_TIMEOUT_MS + 1_000);
      assertThat(failures).as("every failure is the proxy's own error reply")
          .allSatisfy(f -> assertThat(f.message).contains("protean"));
      // At most each caller's one call in flight on the killed provider, and one on the frozen
      // one before two failed checks (600-900 ms) took it out.
      assertThat(failures.size()).isLessThanOrEqualTo(2 * CALLERS);
      assertThat(failures).as("failures only at the kill and at the freeze").allSatisfy(f ->
          assertThat(f.atNanos - killedAt < TimeUnit.SECONDS.toNanos(1)
              || (f.atNanos - frozenAt > -TimeUnit.MILLISECONDS.toNanos(50)
                  && f.atNanos - frozenAt < TimeUnit.SECONDS.toNanos(2))).isTrue());
      assertThat(aBack).as("the restarted provider has calls again").isLessThan(3_000);
      assertThat(bBack).as("the thawed provider has calls again").isLessThan(3_000);
      a2.close();
    } finally {
      running.set(false);
      for (Thread t : callers) {
        t.join(15_000);
      }
      for (int i = closeables.size() - 1; i >= 0; i--) {
        closeables.get(i).close();
      }
    }
  }

  /** True while {@code provider} has not replied since {@code nanos}. */
  private static boolean since(Map<String, AtomicLong> last, String provider, long nanos) {
    AtomicLong t = last.get(provider);
    return t == null || t.get() - nanos < 0;
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static <T extends AutoCloseable> T add(List<AutoCloseable> closeables, T c) {
    closeables.add(c);
    return c;
  }
}

package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stopping the proxy (SIGTERM runs {@link Proxy#close}) drains: it stops accepting, tells Dubbo
 * clients to go elsewhere with the READONLY event, answers every request it read, and exits.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulShutdownTest {

  private static Proxy proxy(int providerPort, String drainTimeout) throws Exception {
    return Proxy.start(Proxy.configLoader().parse("""
        workers: 1
        admin: {enabled: false}
        listeners:
          - name: dubbo
            address: "127.0.0.1:0"
            codec: dubbo
            routes: [{cluster: p}]
            drain_timeout: %s
        clusters:
          - {name: p, endpoints: ["127.0.0.1:%d"]}
        """.formatted(drainTimeout, providerPort)));
  }

  @Test
  void callsInFlightAreAnsweredWhileTheProxyStops() throws Exception {
    int providerPort = Ports.free();
    try (DubboProvider provider = new DubboProvider("steady", providerPort, "1.0.0", null)) {
      Proxy proxy = proxy(providerPort, "5s");
      try (DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("dubbo").getPort(),
          "1.0.0", null, 20_000)) {
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> consumer.service().slow(1500));
        Thread.sleep(500); // the call is now waiting in the provider
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(proxy::close);
        assertThat(call.get(20, TimeUnit.SECONDS)).isEqualTo("steady slept 1500 ms");
        stopping.get(20, TimeUnit.SECONDS);
      } finally {
        proxy.close();
      }
    }
  }

  /**
   * 16 callers of a real Dubbo consumer that knows two proxies; one proxy stops under their load.
   * Its READONLY event moves the consumer's calls to the other proxy, it answers what it already
   * read, and closes its connections once they are quiet: not one call fails.
   */
  @Test
  void aProxyStoppingUnderLoadLosesNoCall() throws Exception {
    int providerPort = Ports.free();
    try (DubboProvider provider = new DubboProvider("steady", providerPort, "1.0.0", null);
        Proxy stays = proxy(providerPort, "5s")) {
      Proxy stops = proxy(providerPort, "5s");
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong ok = new AtomicLong();
      Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
      try (DubboConsumer consumer = new DubboConsumer(List.of(
          stops.listenerAddress("dubbo").getPort(), stays.listenerAddress("dubbo").getPort()),
          "1.0.0", null, 20_000)) {
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          int caller = t;
          Thread c = new Thread(() -> {
            for (int i = 0; running.get(); i++) {
              try {
                String who = caller + "-" + i;
                assertThat(consumer.service().greet(who)).isEqualTo("hello " + who + " from steady");
                ok.incrementAndGet();
              } catch (Throwable e) {
                failures.add(e);
              }
            }
          }, "caller-" + t);
          c.start();
          callers.add(c);
        }
        Thread.sleep(1000);
        long before = ok.get();
        long start = System.nanoTime();
        stops.close();
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long during = ok.get() - before;
        Thread.sleep(1000);
        running.set(false);
        for (Thread c : callers) {
          c.join(30_000);
        }
        System.out.printf("drain under load: %d calls answered, %d failed; the proxy stopped in"
            + " %d ms, %d calls answered meanwhile%n", ok.get(), failures.size(), stopMillis, during);
        assertThat(failures).as("failed calls").isEmpty();
        assertThat(ok.get()).isGreaterThan(before);
      } finally {
        running.set(false);
        stops.close();
      }
    }
  }

  /** At drain_timeout a call still waiting for its provider gets Dubbo's error, not a reset. */
  @Test
  void aCallStillInFlightAtTheDrainTimeoutGetsTheCodecsError() throws Exception {
    int providerPort = Ports.free();
    try (DubboProvider provider = new DubboProvider("steady", providerPort, "1.0.0", null)) {
      Proxy proxy = proxy(providerPort, "1s");
      try (DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("dubbo").getPort(),
          "1.0.0", null, 20_000)) {
        CompletableFuture<String> call =
            CompletableFuture.supplyAsync(() -> consumer.service().slow(5000));
        Thread.sleep(500);
        proxy.close();
        assertThatThrownBy(() -> call.get(20, TimeUnit.SECONDS))
            .hasMessageContaining("drain_timeout passed");
      } finally {
        proxy.close();
      }
    }
  }
}

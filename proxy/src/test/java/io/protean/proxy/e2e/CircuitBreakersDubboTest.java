package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each circuit breaker triggered through the proxy by a real Dubbo consumer, against real Dubbo
 * providers: the call beyond the limit gets Dubbo's overload reply naming the limit, the refusal
 * is counted, and the remaining capacity (a gauge) goes to 0 and comes back. The counts are the
 * cluster's over every worker: the max_requests test holds one call on each of two workers.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CircuitBreakersDubboTest {
  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void stopCallers() {
    callers.shutdownNow();
  }

  /** One listener "in" routing to cluster "c" with {@code clusterFields}, and {@code route}. */
  private static String config(int workers, String route, String clusterFields) {
    return """
        workers: %d
        admin: {address: 127.0.0.1:0}
        listeners:
          - name: in
            address: 127.0.0.1:0
            codec: dubbo
            routes: [{cluster: c, timeout: 10s%s}]
        clusters:
          - name: c
        %s
        """.formatted(workers, route, clusterFields.indent(4));
  }

  private static String remaining(String breaker) {
    return "protean_cluster_circuit_breaker_remaining{cluster=\"c\",breaker=\"" + breaker + "\"}";
  }

  private static String overflows(String breaker) {
    return "protean_cluster_overflows_total{cluster=\"c\",breaker=\"" + breaker + "\"}";
  }

  private <T> CompletableFuture<T> async(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, callers);
  }

  private static void await(AdminClient admin, String series, long value) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (admin.counter(series) != value) {
      assertThat(System.nanoTime()).as(series + " = " + admin.counter(series) + ", waiting for "
          + value).isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void maxRequestsIsCountedForTheWholeClusterAcrossWorkers() throws Exception {
    int port = Ports.free();
    try (DubboProvider provider = new DubboProvider("a", port, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(2, "",
            "endpoints: [\"127.0.0.1:" + port + "\"]\ncircuit_breakers: {max_requests: 2}")));
        // Two connections, accepted one after the other: one on each of the two workers.
        DubboConsumer first = new DubboConsumer(proxy.listenerAddress("in").getPort(), "1.0.0",
            null, 30_000);
        DubboConsumer second = new DubboConsumer(proxy.listenerAddress("in").getPort(), "1.0.0",
            null, 30_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      assertThat(admin.counter(remaining("max_requests"))).isEqualTo(2);
      CompletableFuture<String> slow1 = async(() -> first.service().slow(3000));
      CompletableFuture<String> slow2 = async(() -> second.service().slow(3000));
      await(admin, remaining("max_requests"), 0);

      // Each worker holds one request: a per-worker limit of 2 would let these through.
      assertThatThrownBy(() -> first.service().greet("x"))
          .hasMessageContaining("cluster 'c' has reached circuit_breakers.max_requests");
      assertThatThrownBy(() -> second.service().greet("y"))
          .hasMessageContaining("circuit_breakers.max_requests");
      assertThat(admin.counter(overflows("max_requests"))).isEqualTo(2);

      assertThat(slow1.get(30, TimeUnit.SECONDS)).isEqualTo("a slept 3000 ms");
      assertThat(slow2.get(30, TimeUnit.SECONDS)).isEqualTo("a slept 3000 ms");
      await(admin, remaining("max_requests"), 2);
      assertThat(first.service().greet("z")).isEqualTo("hello z from a");
    }
  }

  /**
   * An endpoint whose accept queue is full: the kernel drops the proxy's SYN, so its connection
   * stays opening and requests queue on it, up to max_pending_requests.
   */
  @Test
  void maxPendingRequestsBoundsTheQueueOfAConnectionStillOpening() throws Exception {
    try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      List<Socket> fillers = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) { // backlog 1 holds two connections not yet accepted
          Socket s = new Socket();
          s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort()));
          fillers.add(s);
        }
        try (Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(1, "",
                "endpoints: [\"127.0.0.1:" + full.getLocalPort() + "\"]\nconnect_timeout: 20s\n"
                    + "circuit_breakers: {max_pending_requests: 2}")));
            DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("in").getPort(),
                "1.0.0", null, 60_000)) {
          AdminClient admin = new AdminClient(proxy.adminAddress());
          CompletableFuture<String> q1 = async(() -> consumer.service().greet("1"));
          CompletableFuture<String> q2 = async(() -> consumer.service().greet("2"));
          await(admin, remaining("max_pending_requests"), 0);
          assertThatThrownBy(() -> consumer.service().greet("3"))
              .hasMessageContaining("cluster 'c' has reached circuit_breakers.max_pending_requests");
          assertThat(admin.counter(overflows("max_pending_requests"))).isEqualTo(1);
          assertThat(q1).isNotDone();
          assertThat(q2).isNotDone();
          // Closing the endpoint fails the opening connection, and its queue with it.
          full.close();
          assertThatThrownBy(() -> q1.get(60, TimeUnit.SECONDS)).hasMessageContaining("connect");
          assertThatThrownBy(() -> q2.get(60, TimeUnit.SECONDS)).hasMessageContaining("connect");
          await(admin, remaining("max_pending_requests"), 2);
        }
      } finally {
        for (Socket s : fillers) {
          s.close();
        }
      }
    }
  }

  @Test
  void maxConnectionsCapsTheConnectionsOpened() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    try (DubboProvider a = new DubboProvider("a", pa, "1.0.0", null);
        DubboProvider b = new DubboProvider("b", pb, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(1, "",
            "endpoints: [\"127.0.0.1:" + pa + "\", \"127.0.0.1:" + pb + "\"]\n"
                + "circuit_breakers: {max_connections: 1}")));
        DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("in").getPort(),
            "1.0.0", null, 30_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      int served = 0;
      int refused = 0;
      for (int i = 0; i < 10; i++) {
        try {
          assertThat(consumer.service().greet("x")).startsWith("hello x from ");
          served++;
        } catch (RuntimeException e) {
          assertThat(e).hasMessageContaining("cluster 'c' has reached circuit_breakers.max_connections");
          refused++;
        }
      }
      // Round robin alternates the endpoints; only the first one's connection may exist.
      assertThat(served).isEqualTo(5);
      assertThat(refused).isEqualTo(5);
      assertThat(a.attachments().isEmpty() || b.attachments().isEmpty()).isTrue();
      assertThat(admin.counter("protean_cluster_upstream_connects_total{cluster=\"c\"}"))
          .isEqualTo(1);
      assertThat(admin.counter(overflows("max_connections"))).isEqualTo(5);
      assertThat(admin.counter(remaining("max_connections"))).isZero();
    }
  }

  @Test
  void moreConnectionsPerEndpointThanMaxConnectionsShareTheOnesOpen() throws Exception {
    int port = Ports.free();
    try (DubboProvider a = new DubboProvider("a", port, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(1, "",
            "endpoints: [\"127.0.0.1:" + port + "\"]\nconnections_per_endpoint: 4\n"
                + "circuit_breakers: {max_connections: 2}")));
        DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("in").getPort(),
            "1.0.0", null, 30_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      for (int i = 0; i < 12; i++) {
        assertThat(consumer.service().greet("x")).isEqualTo("hello x from a");
      }
      assertThat(admin.counter("protean_cluster_upstream_connects_total{cluster=\"c\"}"))
          .isEqualTo(2);
      assertThat(admin.counter(overflows("max_connections"))).isPositive();
    }
  }

  /**
   * A frozen provider (SIGSTOP): every try reaches its per_try_timeout together, and the three
   * requests race for one place in max_retries; the two that lose get their timeout at once.
   */
  @Test
  void maxRetriesBoundsTheRetriesInFlight() throws Exception {
    int port = Ports.free();
    try (ProviderProcess frozen = new ProviderProcess("frozen", port, "1.0.0");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(1,
            ", retry: {attempts: 1, on: [timeout], per_try_timeout: 1s}",
            "endpoints: [\"127.0.0.1:" + port + "\"]\ncircuit_breakers: {max_retries: 1}")));
        DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("in").getPort(),
            "1.0.0", null, 30_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      assertThat(consumer.service().greet("warm")).isEqualTo("hello warm from frozen");
      frozen.freeze();
      List<CompletableFuture<String>> calls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        calls.add(async(() -> consumer.service().greet("x")));
      }
      for (CompletableFuture<String> c : calls) {
        assertThatThrownBy(() -> c.get(30, TimeUnit.SECONDS)).hasMessageContaining("did not answer");
      }
      assertThat(admin.counter("protean_cluster_retries_total{cluster=\"c\"}")).isEqualTo(1);
      assertThat(admin.counter(overflows("max_retries"))).isEqualTo(2);
      assertThat(admin.counter("protean_cluster_retry_overflows_total{cluster=\"c\"}"))
          .isEqualTo(2);
      await(admin, remaining("max_retries"), 1);
    }
  }
}

package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.rpc.RpcContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weighted clusters and consistent hashing between Apache Dubbo's own consumer and two real
 * providers that answer with their name: a 90/10 split over 10,000 calls, a weight change by
 * reload that closes no connection, and a hash on an attachment that keeps a key on one provider
 * (ring_hash and maglev) while different keys spread over both.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrafficEndToEndTest {
  private static final int SPLIT_CALLS = 10_000;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private DubboProvider p1;
  private DubboProvider p2;
  private Path file;
  private Proxy proxy;
  private AdminClient admin;
  private DubboConsumer consumer;
  private DubboConsumer second;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    p1 = provider("p1");
    p2 = provider("p2");
    file = dir.resolve("protean.yaml");
    Files.writeString(file, yaml(90, 10));
    proxy = Proxy.start(file);
    closeables.add(proxy);
    admin = new AdminClient(proxy.adminAddress());
    int port = proxy.listenerAddress("dubbo").getPort();
    consumer = consumer(port);
    second = consumer(port);
  }

  private DubboProvider provider(String name) {
    DubboProvider p = new DubboProvider(name, Ports.free(), "1.0.0", null);
    closeables.add(p);
    return p;
  }

  private DubboConsumer consumer(int port) {
    DubboConsumer c = new DubboConsumer(port, "1.0.0", null, 15_000);
    closeables.add(c);
    return c;
  }

  /** Two workers, so the two consumers' connections may live on different event loops. */
  private String yaml(int weightA, int weightB) {
    return """
        workers: 2
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: dubbo
            address: 127.0.0.1:0
            codec: dubbo
            routes:
              - name: split
                match: {metadata: [{key: x-split, present: true}]}
                clusters:
                  - {name: a, weight: %d}
                  - {name: b, weight: %d}
              - name: ring
                match: {metadata: [{key: x-lb, exact: ring_hash}]}
                hash_policy: [{key: x-session, terminal: true}, x-user]
                cluster: ring
              - name: maglev
                match: {metadata: [{key: x-lb, exact: maglev}]}
                hash_policy: [{key: x-session, terminal: true}, x-user]
                cluster: maglev
        clusters:
          - {name: a, endpoints: ["127.0.0.1:%d"]}
          - {name: b, endpoints: ["127.0.0.1:%d"]}
          - {name: ring, lb: ring_hash, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
          - {name: maglev, lb: maglev, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
        """.formatted(weightA, weightB, p1.port(), p2.port(), p1.port(), p2.port(), p1.port(),
        p2.port());
  }

  @AfterAll
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /**
   * Calls on the split route from 8 threads over both consumers (a caller waits for each answer,
   * so several keep the proxy busy); returns how many of them provider p1 answered.
   */
  private int splitCallsToP1(int calls) throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> counts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        DubboConsumer c = t % 2 == 0 ? consumer : second;
        int share = calls / threads + (t < calls % threads ? 1 : 0);
        counts.add(pool.submit(() -> {
          int p1Answers = 0;
          for (int i = 0; i < share; i++) {
            RpcContext.getClientAttachment().setAttachment("x-split", "1");
            String answer = c.service().greet("s");
            assertThat(answer).matches("hello s from p[12]");
            if (answer.endsWith("p1")) {
              p1Answers++;
            }
          }
          return p1Answers;
        }));
      }
      int total = 0;
      for (Future<Integer> f : counts) {
        total += f.get();
      }
      return total;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The provider answering a call on route {@code lb} with the given attachments. */
  private String call(DubboConsumer c, String lb, Map<String, String> attachments) {
    RpcContext.getClientAttachment().setAttachment("x-lb", lb);
    attachments.forEach(RpcContext.getClientAttachment()::setAttachment);
    String answer = c.service().greet("h");
    return answer.substring(answer.lastIndexOf(' ') + 1);
  }

  private long accepted() {
    return admin.sum("protean_listener_downstream_connections_total", "listener=");
  }

  private long upstreamConnects() {
    return admin.counter("protean_cluster_upstream_connects_total{cluster=\"a\"}")
        + admin.counter("protean_cluster_upstream_connects_total{cluster=\"b\"}");
  }

  @Test
  void ninetyTenSplitsTenThousandCallsWithinOneAndAHalfPoints() throws Exception {
    int toP1 = splitCallsToP1(SPLIT_CALLS);
    // 9 000 expected (σ = 30): ±150 is five standard deviations.
    assertThat(toP1).isBetween(8_850, 9_150);
  }

  @Test
  void aWeightChangeByReloadIsTheNewSplitAndClosesNoConnection() throws Exception {
    splitCallsToP1(200); // every connection exists before counting
    long acceptedBefore = accepted();
    long connectsBefore = upstreamConnects();
    try {
      Files.writeString(file, yaml(30, 70));
      AdminClient.Reply r = admin.post("/reload");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"result\" : \"applied\"");
      assertThat(admin.get("/config_dump")).contains("\"weight\" : 70");
      int toP1 = splitCallsToP1(SPLIT_CALLS);
      // 3 000 expected (σ = 46): ±150 is more than three standard deviations.
      assertThat(toP1).isBetween(2_850, 3_150);
      assertThat(accepted()).as("downstream connections accepted (a closed one reconnects)")
          .isEqualTo(acceptedBefore);
      assertThat(admin.sum("protean_listener_downstream_connections", "listener="))
          .as("open downstream connections").isEqualTo(acceptedBefore);
      assertThat(upstreamConnects()).as("upstream connects: the clusters kept theirs")
          .isEqualTo(connectsBefore);
    } finally {
      Files.writeString(file, yaml(90, 10));
      assertThat(admin.post("/reload").body()).contains("\"result\" : \"applied\"");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev"})
  void oneKeyLandsOnOneProviderAndKeysSpreadOverBoth(String lb) {
    Set<String> alice = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      // Both consumers' connections: one shared table, whichever loop serves the call.
      alice.add(call(i % 2 == 0 ? consumer : second, lb, Map.of("x-user", "alice")));
    }
    assertThat(alice).as("providers that served key alice").hasSize(1);

    Map<String, String> byKey = new HashMap<>();
    for (int k = 0; k < 50; k++) {
      String key = "user-" + k;
      String first = call(consumer, lb, Map.of("x-user", key));
      assertThat(call(second, lb, Map.of("x-user", key))).as(key).isEqualTo(first);
      byKey.put(key, first);
    }
    // All 50 keys on one of two providers: probability 2^-49 if each lands at random.
    assertThat(new HashSet<>(byKey.values())).containsExactlyInAnyOrder("p1", "p2");

    // A terminal x-session decides alone: x-user no longer matters.
    Set<String> session = new HashSet<>();
    for (int k = 0; k < 50; k++) {
      session.add(call(consumer, lb, Map.of("x-session", "s-1", "x-user", "user-" + k)));
    }
    assertThat(session).hasSize(1);

    // No key of the policy: the balancer picks at random.
    Set<String> unkeyed = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      unkeyed.add(call(consumer, lb, Map.of()));
    }
    assertThat(unkeyed).containsExactlyInAnyOrder("p1", "p2");
  }
}

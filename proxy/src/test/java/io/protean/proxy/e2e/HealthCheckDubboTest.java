package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.proxy.server.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Active health checks against real Dubbo 3.3 providers in child JVMs: Dubbo's heartbeat as the
 * check, a provider frozen with SIGSTOP (its kernel still accepts connections; nothing answers)
 * is taken out of the rotation within unhealthy_threshold checks and comes back after SIGCONT
 * within healthy_threshold; a cluster no route names is checked and shown too; the verdict of an
 * endpoint a reload keeps survives the reload.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HealthCheckDubboTest {
  /** interval 500ms, timeout 500ms, thresholds 2: the bounds below follow from these. */
  private static final long CHECK_MS = 500 + 500;
  /** Scheduling slack on a shared two-core machine; the measured times are printed. */
  private static final long SLACK_MS = 3000;

  @TempDir Path dir;

  @Test
  void aFrozenProviderLeavesTheRotationAndComesBack() throws Exception {
    int portA = Ports.free();
    int portB = Ports.free();
    int closed = Ports.free();
    try (ProviderProcess a = new ProviderProcess("a", portA, "1.0.0");
        ProviderProcess b = new ProviderProcess("b", portB, "1.0.0")) {
      Path file = dir.resolve("protean.yaml");
      Files.writeString(file, config(portA, portB, closed, "500ms"));
      try (Proxy proxy = Proxy.start(file);
          DubboConsumer consumer = new DubboConsumer(
              proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 10_000)) {
        AdminClient admin = new AdminClient(proxy.adminAddress());
        String epA = "127.0.0.1:" + portA;
        String epB = "127.0.0.1:" + portB;
        awaitHealth(admin, "pair", epA, "healthy", 30_000);
        awaitHealth(admin, "pair", epB, "healthy", 30_000);
        assertThat(servedBy(consumer, 10)).containsExactlyInAnyOrder("a", "b");

        // A cluster no route names is kept, checked and shown: a TCP check to a live provider
        // passes, to a closed port fails.
        awaitHealth(admin, "unrouted", epB, "healthy", 30_000);
        awaitHealth(admin, "unrouted", "127.0.0.1:" + closed, "unhealthy", 30_000);
        assertThat(admin.get("/clusters")).contains("unrouted codec=dubbo")
            .contains("health_check=tcp").contains("127.0.0.1:" + closed + " health=unhealthy");

        a.freeze();
        long frozen = System.nanoTime();
        awaitHealth(admin, "pair", epA, "unhealthy", 2 * CHECK_MS + SLACK_MS);
        System.out.printf("frozen provider marked unhealthy after %d ms%n", sinceMs(frozen));
        assertThat(servedBy(consumer, 20)).containsExactly("b");

        // A reload that changes the check but keeps the endpoints keeps their verdicts.
        Files.writeString(file, config(portA, portB, closed, "400ms"));
        assertThat(admin.post("/reload").body()).contains("\"applied\"");
        assertThat(health(admin, "pair", epA)).isEqualTo("unhealthy");
        assertThat(servedBy(consumer, 10)).containsExactly("b");

        a.thaw();
        long thawed = System.nanoTime();
        awaitHealth(admin, "pair", epA, "healthy", 2 * CHECK_MS + SLACK_MS);
        System.out.printf("thawed provider healthy again after %d ms%n", sinceMs(thawed));
        assertThat(servedBy(consumer, 10)).containsExactlyInAnyOrder("a", "b");

        assertThat(admin.counter("protean_cluster_health_check_failures_total{cluster=\"pair\"}"))
            .isGreaterThanOrEqualTo(2);
        assertThat(admin.counter("protean_cluster_health_check_successes_total{cluster=\"pair\"}"))
            .isGreaterThanOrEqualTo(4);
        assertThat(admin.counter("protean_cluster_endpoint_healthy{cluster=\"pair\",endpoint=\""
            + epA + "\"}")).isEqualTo(1);
        assertThat(admin.counter("protean_cluster_endpoint_healthy{cluster=\"unrouted\",endpoint=\""
            + "127.0.0.1:" + closed + "\"}")).isEqualTo(0);

        // A reload that removes a cluster stops its checks; one that removes a cluster's
        // health_checks makes its endpoints unchecked (healthy) again.
        Files.writeString(file, config(portA, portB, closed, "500ms")
            .replaceAll("(?s)  - name: unrouted.*", "")
            .replaceAll("(?s)    health_checks:.*?protocol_health_check: \\{}}\n", ""));
        assertThat(admin.post("/reload").body()).contains("\"applied\"");
        String clusters = admin.get("/clusters");
        assertThat(clusters).doesNotContain("unrouted").contains("health_check=none")
            .contains(epA + " health=healthy").contains(epB + " health=healthy");
        String attempts = "protean_cluster_health_check_attempts_total{cluster=\"unrouted\"}";
        long before = admin.counter(attempts);
        Thread.sleep(1500); // three intervals of the removed cluster's checks
        assertThat(admin.counter(attempts)).isEqualTo(before);
        assertThat(admin.counter("protean_cluster_endpoint_healthy{cluster=\"pair\",endpoint=\""
            + epA + "\"}")).isEqualTo(0);
      }
    }
  }

  private static String config(int portA, int portB, int closed, String interval) {
    return """
        workers: 2
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: dubbo
            address: 127.0.0.1:0
            codec: dubbo
            routes: [{cluster: pair, timeout: 3s}]
        clusters:
          - name: pair
            endpoints: ["127.0.0.1:%1$d", "127.0.0.1:%2$d"]
            health_checks:
              - {interval: %4$s, timeout: 500ms, unhealthy_threshold: 2, healthy_threshold: 2,
                 no_traffic_interval: 500ms, protocol_health_check: {}}
          - name: unrouted
            endpoints: ["127.0.0.1:%2$d", "127.0.0.1:%3$d"]
            health_checks:
              - {interval: 500ms, timeout: 500ms, no_traffic_interval: 1s, tcp_health_check: {}}
        """.formatted(portA, portB, closed, interval);
  }

  /** The providers that served {@code n} calls (each greeting names its provider). */
  static Set<String> servedBy(DubboConsumer consumer, int n) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String reply = consumer.service().greet("x");
      names.add(reply.substring(reply.lastIndexOf(' ') + 1));
    }
    return names;
  }

  private static String health(AdminClient admin, String cluster, String endpoint) {
    return admin.endpoint(cluster, endpoint).get("health").asText();
  }

  static void awaitHealth(AdminClient admin, String cluster, String endpoint,
      String expected, long withinMs) throws Exception {
    long start = System.nanoTime();
    String seen;
    while (!(seen = health(admin, cluster, endpoint)).equals(expected)) {
      assertThat(sinceMs(start)).as(cluster + " " + endpoint + " still " + seen + ", expected "
          + expected).isLessThan(withinMs);
      Thread.sleep(20);
    }
  }

  private static long sinceMs(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}

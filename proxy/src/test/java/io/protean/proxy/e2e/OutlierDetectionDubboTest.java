package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Outlier detection against real Dubbo 3.3 providers: one of three fails every second call with
 * a server error (status 70, {@link FailingProviderFilter}), which never makes five in a row, so
 * the success-rate check is what finds it. Two consumers call through two workers, whose outcomes
 * the detector adds up. The provider is ejected, every later call is served by the other two,
 * and it comes back after its ejection time; ejected again, it stays out twice as long.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OutlierDetectionDubboTest {

  private static String config(int a, int b, int flaky) {
    return """
        workers: 2
        admin: {address: 127.0.0.1:0}
        listeners:
          - name: in
            address: 127.0.0.1:0
            codec: dubbo
            routes: [{cluster: c, timeout: 10s}]
        clusters:
          - name: c
            endpoints: ["127.0.0.1:%d", "127.0.0.1:%d", "127.0.0.1:%d"]
            outlier_detection:
              interval: 1s
              base_ejection_time: 3s
              max_ejection_percent: 50
              success_rate: {minimum_hosts: 3, request_volume: 10, stdev_factor: 1000}
        """.formatted(a, b, flaky);
  }

  @Test
  void aProviderFailingHalfItsCallsIsEjectedAndComesBackAfterItsEjectionTime() throws Exception {
    int pa = Ports.free();
    int pb = Ports.free();
    int pf = Ports.free();
    try (ProviderProcess flaky = new ProviderProcess("flaky", pf, "1.0.0",
            List.of("-Dprotean.test.fail-every=2"));
        DubboProvider a = new DubboProvider("a", pa, "1.0.0", null);
        DubboProvider b = new DubboProvider("b", pb, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(config(pa, pb, pf)));
        DubboConsumer first = new DubboConsumer(proxy.listenerAddress("in").getPort(), "1.0.0",
            null, 10_000);
        DubboConsumer second = new DubboConsumer(proxy.listenerAddress("in").getPort(), "1.0.0",
            null, 10_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      DubboConsumer[] consumers = {first, second};
      String flakyEndpoint = "127.0.0.1:" + pf;

      Map<String, Integer> before = callUntil(consumers, admin, flakyEndpoint, true);
      assertThat(before).containsKeys("a", "b", "flaky", "failed");
      long ejected = System.nanoTime();
      assertThat(admin.endpoint("c", flakyEndpoint).get("times_ejected").asInt()).isEqualTo(1);
      assertThat(admin.counter("protean_cluster_outlier_ejections_total{cluster=\"c\"}"))
          .isEqualTo(1);
      assertThat(admin.counter("protean_cluster_outlier_ejections_active{cluster=\"c\"}"))
          .isEqualTo(1);
      assertThat(admin.get("/clusters")).contains(flakyEndpoint + " health=ejected");

      // While it is out, the other two serve every call.
      Map<String, Integer> during = calls(consumers, 40);
      assertThat(during.keySet()).containsExactlyInAnyOrder("a", "b");

      // It comes back once its ejection time (3 s) is over, at the next interval (1 s).
      callUntil(consumers, admin, flakyEndpoint, false);
      long out = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ejected);
      // Seen from here, since the test noticed the ejection (a poll after it happened).
      System.out.printf("flaky provider back %d ms after its ejection was seen"
          + " (base_ejection_time 3000 ms, interval 1000 ms)%n", out);
      assertThat(admin.counter("protean_cluster_outlier_ejections_active{cluster=\"c\"}"))
          .isZero();
      assertThat(calls(consumers, 30)).containsKey("flaky");

      // Still failing: ejected again.
      callUntil(consumers, admin, flakyEndpoint, true);
      assertThat(admin.counter("protean_cluster_outlier_ejections_total{cluster=\"c\"}"))
          .isEqualTo(2);
    }
  }

  /**
   * A provider failing every call: five server errors in a row eject it at once (no interval
   * needed); back after 2 s, its next five failures eject it again before an interval has passed
   * in the rotation, so for twice the base time.
   */
  @Test
  void consecutiveServerErrorsEjectAtOnceAndEachEjectionLastsLonger() throws Exception {
    int pa = Ports.free();
    int pf = Ports.free();
    try (ProviderProcess failing = new ProviderProcess("failing", pf, "1.0.0",
            List.of("-Dprotean.test.fail-every=1"));
        DubboProvider a = new DubboProvider("a", pa, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 1
            admin: {address: 127.0.0.1:0}
            listeners:
              - name: in
                address: 127.0.0.1:0
                codec: dubbo
                routes: [{cluster: c, timeout: 10s}]
            clusters:
              - name: c
                endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]
                outlier_detection:
                  {consecutive_5xx: 5, interval: 1s, base_ejection_time: 2s,
                   max_ejection_percent: 50}
            """.formatted(pa, pf)));
        DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("in").getPort(),
            "1.0.0", null, 10_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      DubboConsumer[] consumers = {consumer};
      String failingEndpoint = "127.0.0.1:" + pf;
      callUntil(consumers, admin, failingEndpoint, true, "fails every 1 calls");
      assertThat(admin.counter("protean_cluster_outlier_ejections_total{cluster=\"c\"}"))
          .isEqualTo(1);
      assertThat(calls(consumers, 20, "-").keySet()).containsExactly("a");
      // Back at the first interval after 2 s, it fails five times in a row again within
      // milliseconds: ejected before an interval in the rotation could lower its count.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (admin.counter("protean_cluster_outlier_ejections_total{cluster=\"c\"}") < 2) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        calls(consumers, 10, "fails every 1 calls");
      }
      assertThat(admin.endpoint("c", failingEndpoint).get("times_ejected").asInt()).isEqualTo(2);
    }
  }

  /** Calls until the endpoint's ejection is {@code ejected}; what served the calls, by name. */
  private static Map<String, Integer> callUntil(DubboConsumer[] consumers, AdminClient admin,
      String endpoint, boolean ejected) throws Exception {
    return callUntil(consumers, admin, endpoint, ejected, "fails every 2 calls");
  }

  private static Map<String, Integer> callUntil(DubboConsumer[] consumers, AdminClient admin,
      String endpoint, boolean ejected, String failure) throws Exception {
    Map<String, Integer> served = new HashMap<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (admin.endpoint("c", endpoint).get("ejected").asBoolean() != ejected) {
      assertThat(System.nanoTime()).as(endpoint + " never became ejected=" + ejected)
          .isLessThan(deadline);
      calls(consumers, 20, failure).forEach((k, v) -> served.merge(k, v, Integer::sum));
    }
    return served;
  }

  /** {@code n} calls, alternately from each consumer: the providers that served them (or "failed"). */
  private static Map<String, Integer> calls(DubboConsumer[] consumers, int n) {
    return calls(consumers, n, "fails every 2 calls");
  }

  /** As {@link #calls(DubboConsumer[], int)}; a failed call's message contains {@code failure}. */
  private static Map<String, Integer> calls(DubboConsumer[] consumers, int n, String failure) {
    Map<String, Integer> served = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String by;
      try {
        String reply = consumers[i % consumers.length].service().greet("x");
        by = reply.substring(reply.lastIndexOf(' ') + 1);
      } catch (RuntimeException e) {
        assertThat(e).hasMessageContaining(failure);
        by = "failed";
      }
      served.merge(by, 1, Integer::sum);
    }
    return served;
  }
}

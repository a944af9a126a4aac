package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protean.proxy.server.Proxy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thrift health checks against real libthrift servers (framed binary and framed compact): a call
 * with empty arguments, judged by {@code expect}. The servers' {@code add} returns a result,
 * {@code fail} throws the declared EchoFailure, and an unknown method gets a
 * TApplicationException; each cluster checks one combination. No route names these clusters.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HealthCheckThriftTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void eachExpectationJudgesTheRealServersAnswer() throws Exception {
    try (EchoServer binary = new EchoServer("binary", false, true, false);
        EchoServer compact = new EchoServer("compact", false, true, true)) {
      List<Case> cases = List.of(
          new Case("add_success", binary, "method_name: add", "healthy"),
          new Case("fail_success", binary, "method_name: fail", "unhealthy"),
          new Case("fail_reply", binary, "method_name: fail, expect: reply", "healthy"),
          new Case("unknown_reply", binary, "method_name: nosuch, expect: reply", "unhealthy"),
          new Case("unknown_any", binary, "method_name: nosuch, expect: any", "healthy"),
          new Case("compact_add", compact, "method_name: add, protocol: compact", "healthy"),
          // A binary call to a compact server gets no Thrift answer.
          new Case("binary_to_compact", compact, "method_name: add", "unhealthy"));
      StringBuilder yaml = new StringBuilder("""
          workers: 1
          admin: {address: "127.0.0.1:0"}
          listeners:
            - name: thrift
              address: 127.0.0.1:0
              codec: thrift
              routes: [{cluster: add_success}]
          clusters:
          """);
      for (Case c : cases) {
        // The codec detects transport and protocol per connection, so the check names them.
        String options = c.options.contains("protocol:") ? c.options
            : c.options + ", protocol: binary";
        yaml.append("""
              - name: %s
                endpoints: ["127.0.0.1:%d"]
                health_checks:
                  - {interval: 300ms, timeout: 1s, no_traffic_interval: 300ms,
                     protocol_health_check: {transport: framed, %s}}
            """.formatted(c.name, c.server.port(), options));
      }
      try (Proxy proxy = Proxy.start(Proxy.configLoader().parse(yaml.toString()))) {
        AdminClient admin = new AdminClient(proxy.adminAddress());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Map<String, String> seen = health(admin);
        while (!matches(seen, cases) && System.nanoTime() < deadline) {
          Thread.sleep(50);
          seen = health(admin);
        }
        Map<String, String> expected = new LinkedHashMap<>();
        cases.forEach(c -> expected.put(c.name, c.expected));
        assertThat(seen).isEqualTo(expected);
        // Several checks ran and each verdict held: the failing ones keep failing.
        assertThat(admin.counter(
            "protean_cluster_health_check_failures_total{cluster=\"fail_success\"}"))
            .isGreaterThanOrEqualTo(1);
        assertThat(admin.counter(
            "protean_cluster_health_check_successes_total{cluster=\"fail_reply\"}"))
            .isGreaterThanOrEqualTo(1);
      }
    }
  }

  /** A cluster checking {@code server} with {@code options}, and the verdict it must reach. */
  private record Case(String name, EchoServer server, String options, String expected) {}

  private static boolean matches(Map<String, String> seen, List<Case> cases) {
    return cases.stream().allMatch(c -> c.expected.equals(seen.get(c.name)));
  }

  private static Map<String, String> health(AdminClient admin) throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    for (JsonNode c : JSON.readTree(admin.get("/clusters?format=json")).get("clusters")) {
      m.put(c.get("name").asText(), c.get("endpoints").get(0).get("health").asText());
    }
    return m;
  }
}

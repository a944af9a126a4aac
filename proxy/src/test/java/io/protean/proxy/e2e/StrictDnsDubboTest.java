package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code type: strict_dns} with the machine's own names (loopback only): {@code localhost} and
 * {@code vm} both name 127.0.0.1 in /etc/hosts, so they make one endpoint, resolved before the
 * first call and again every dns_refresh_rate; a name that does not resolve is counted and
 * contributes no endpoint, and the others keep serving a real Dubbo provider.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StrictDnsDubboTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void namesResolveToEndpointsAndAreResolvedAgain() throws Exception {
    int port = Ports.free();
    try (DubboProvider provider = new DubboProvider("p", port, "1.0.0", null);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 2
            admin: {address: 127.0.0.1:0}
            listeners:
              - {name: in, address: 127.0.0.1:0, codec: dubbo, routes: [{cluster: named}]}
            clusters:
              - name: named
                type: strict_dns
                dns_refresh_rate: 200ms
                endpoints: ["localhost:%1$d", "vm:%1$d", "no-such-name.invalid:%1$d"]
            """.formatted(port)));
        DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("in").getPort(), "1.0.0",
            null, 10_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      assertThat(endpoints(admin)).containsExactly("127.0.0.1:" + port);
      for (int i = 0; i < 5; i++) {
        assertThat(consumer.service().greet("x")).isEqualTo("hello x from p");
      }
      String failures = "protean_cluster_dns_failures_total{cluster=\"named\"}";
      long seen = admin.counter(failures);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (admin.counter(failures) < seen + 3) { // three refreshes later
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(50);
      }
      assertThat(admin.counter("protean_cluster_dns_resolutions_total{cluster=\"named\"}"))
          .isGreaterThanOrEqualTo(3 * (seen + 3));
      assertThat(endpoints(admin)).containsExactly("127.0.0.1:" + port);
      assertThat(consumer.service().greet("y")).isEqualTo("hello y from p");
      // The same endpoint all along: its connection was kept by each refresh.
      assertThat(admin.counter("protean_cluster_upstream_connects_total{cluster=\"named\"}"))
          .isLessThanOrEqualTo(2);
    }
  }

  private static List<String> endpoints(AdminClient admin) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode c : JSON.readTree(admin.get("/clusters?format=json")).get("clusters")) {
      for (JsonNode e : c.get("endpoints")) {
        out.add(e.get("address").asText());
      }
    }
    return out;
  }
}

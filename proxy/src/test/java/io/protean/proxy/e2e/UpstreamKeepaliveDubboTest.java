package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.proxy.server.Proxy;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Upstream keepalive against a real Dubbo 3.3 provider that closes connections idle for three
 * heartbeat intervals ({@code -Ddubbo.protocol.heartbeat=1000}: after 3 s; 180 s by default):
 * the cluster without keepalive loses its idle connection and opens a new one for the next call,
 * the cluster with {@code upstream_keepalive} keeps its connection with Dubbo heartbeats.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UpstreamKeepaliveDubboTest {

  @Test
  void heartbeatsKeepAnIdleUpstreamConnectionThatTheProviderWouldClose() throws Exception {
    int port = Ports.free();
    try (ProviderProcess provider = new ProviderProcess("p", port, "1.0.0",
            List.of("-Ddubbo.protocol.heartbeat=1000"));
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 1
            admin: {address: 127.0.0.1:0}
            listeners:
              - {name: kept, address: 127.0.0.1:0, codec: dubbo, routes: [{cluster: kept}]}
              - {name: plain, address: 127.0.0.1:0, codec: dubbo, routes: [{cluster: plain}]}
            clusters:
              - {name: kept, endpoints: ["127.0.0.1:%1$d"], upstream_keepalive: {interval: 500ms}}
              - {name: plain, endpoints: ["127.0.0.1:%1$d"]}
            """.formatted(port)));
        DubboConsumer kept = new DubboConsumer(proxy.listenerAddress("kept").getPort(), "1.0.0",
            null, 10_000);
        DubboConsumer plain = new DubboConsumer(proxy.listenerAddress("plain").getPort(), "1.0.0",
            null, 10_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      assertThat(kept.service().greet("1")).isEqualTo("hello 1 from p");
      assertThat(plain.service().greet("1")).isEqualTo("hello 1 from p");

      // The provider closes the plain cluster's idle connection after 3 s.
      String plainConnections = "protean_cluster_upstream_connections{cluster=\"plain\"}";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (admin.counter(plainConnections) != 0) {
        assertThat(System.nanoTime()).as("the provider never closed the idle connection")
            .isLessThan(deadline);
        Thread.sleep(100);
      }
      Thread.sleep(1000); // and a little longer than that for the kept one

      assertThat(kept.service().greet("2")).isEqualTo("hello 2 from p");
      assertThat(plain.service().greet("2")).isEqualTo("hello 2 from p");
      assertThat(admin.counter("protean_cluster_upstream_connects_total{cluster=\"kept\"}"))
          .isEqualTo(1);
      assertThat(admin.counter("protean_cluster_upstream_connects_total{cluster=\"plain\"}"))
          .isEqualTo(2);
      assertThat(admin.counter("protean_cluster_upstream_keepalives_total{cluster=\"kept\"}"))
          .isGreaterThanOrEqualTo(4);
      assertThat(admin.counter("protean_cluster_stale_responses_total{cluster=\"kept\"}"))
          .isZero();
    }
  }
}

package io.protean.proxy.e2e;

import static io.protean.proxy.e2e.HealthCheckDubboTest.awaitHealth;
import static io.protean.proxy.e2e.HealthCheckDubboTest.servedBy;
import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.proxy.server.Proxy;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Protocol health checks built by a Wasm codec module (the optional export
 * {@code protean_codec_health_check_request}, wasm-abi/ABI.md), with the Rust and the Go Dubbo
 * modules, against real Dubbo 3.3 providers: the module's heartbeat is what a frozen provider
 * (SIGSTOP) stops answering, so it is marked unhealthy and traffic moves to the other; after
 * SIGCONT it is healthy again. The same heartbeat keeps idle connections (upstream_keepalive).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WasmHealthCheckDubboTest {

  @ParameterizedTest
  @ValueSource(strings = {"../example-codecs-rust/wasm/dubbo.wasm",
      "../example-codecs-tinygo/wasm/dubbo.wasm"})
  void aWasmCodecsHeartbeatChecksRealProviders(String module) throws Exception {
    int portA = Ports.free();
    int portB = Ports.free();
    try (ProviderProcess a = new ProviderProcess("a", portA, "1.0.0");
        ProviderProcess b = new ProviderProcess("b", portB, "1.0.0");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 2
            admin: {address: "127.0.0.1:0"}
            listeners:
              - name: dubbo
                address: 127.0.0.1:0
                codec: {wasm: {module: %s, engine: compiler}}
                routes: [{cluster: pair, timeout: 3s}]
            clusters:
              - name: pair
                endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]
                upstream_keepalive: {interval: 300ms}
                health_checks:
                  - {interval: 500ms, timeout: 500ms, unhealthy_threshold: 2, healthy_threshold: 2,
                     no_traffic_interval: 500ms, protocol_health_check: {}}
            """.formatted(module, portA, portB)));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 10_000)) {
      AdminClient admin = new AdminClient(proxy.adminAddress());
      String epA = "127.0.0.1:" + portA;
      awaitHealth(admin, "pair", epA, "healthy", 30_000);
      awaitHealth(admin, "pair", "127.0.0.1:" + portB, "healthy", 30_000);
      assertThat(servedBy(consumer, 10)).containsExactlyInAnyOrder("a", "b");
      assertThat(admin.get("/clusters")).contains("health_check=protocol");

      a.freeze();
      awaitHealth(admin, "pair", epA, "unhealthy", 30_000);
      assertThat(servedBy(consumer, 20)).containsExactly("b");

      a.thaw();
      awaitHealth(admin, "pair", epA, "healthy", 30_000);
      assertThat(servedBy(consumer, 10)).containsExactlyInAnyOrder("a", "b");
      assertThat(admin.counter("protean_cluster_health_check_successes_total{cluster=\"pair\"}"))
          .isGreaterThanOrEqualTo(4);
      // Idle between the calls above, the request connections sent the module's heartbeat.
      Thread.sleep(1000);
      assertThat(admin.counter("protean_cluster_upstream_keepalives_total{cluster=\"pair\"}"))
          .isPositive();
      assertThat(servedBy(consumer, 10)).containsExactlyInAnyOrder("a", "b");
    }
  }
}

package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.e2e.tinyrpc.TinyRpcClient;
import io.protean.proxy.e2e.tinyrpc.TinyRpcFrame;
import io.protean.proxy.e2e.tinyrpc.TinyRpcServer;
import io.protean.proxy.server.Proxy;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A proxy-wasm filter's metrics in the proxy's {@code /stats}, and its on_log for every request,
 * an error reply's included: wasm-host's host_features.wat (which says what it counts) on the
 * TinyRPC listener.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WasmFilterStatsEndToEndTest {
  static final String SERIES = "{module=\"host_features.wasm\",name=\"%s\"}";

  @Test
  void filterMetricsAreInStatsAndOnLogRunsForEveryRequest() throws Exception {
    try (TinyRpcServer a = new TinyRpcServer("A");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(new TinyRpcProxyConfig().admin()
            .filter("wasm: {module: ../wasm-host/src/test/resources/wasm/filters/host_features.wasm}")
            .route("{match: {metadata: [{key: method, prefix: get}]}, cluster: a}")
            .cluster("a", a.port())
            .yaml()));
        TinyRpcClient c = new TinyRpcClient(proxy.listenerAddress("tiny").getPort())) {
      AdminClient admin = new AdminClient(proxy.adminAddress());

      assertThat(c.call(Map.of("method", "getUser"), "x").is(TinyRpcFrame.RESPONSE)).isTrue();
      assertThat(a.requestHeaders()).singleElement().satisfies(h -> assertThat(h.get("x-source"))
          .as("source.address: the client's socket").startsWith("127.0.0.1:"));
      TinyRpcFrame noRoute = c.call(Map.of("method", "deleteUser"), "");
      assertThat(noRoute.headers()).containsEntry("status", "ROUTE_NOT_FOUND");

      LongSupplier logged = () -> admin.counter("protean_wasm_filter_counter_total"
          + SERIES.formatted("logged"));
      assertThat(await(logged, 2)).as("on_log for the answer and for the error reply").isEqualTo(2);
      assertThat(admin.counter("protean_wasm_filter_gauge" + SERIES.formatted("count")))
          .as("the shared-data counter").isEqualTo(2);
      assertThat(admin.counter("protean_wasm_filter_histogram_count" + SERIES.formatted("sizes")))
          .isEqualTo(2);
      assertThat(await(() -> admin.counter("protean_wasm_filter_counter_total"
          + SERIES.formatted("ticks")), 1)).as("ticks on the worker loop").isPositive();
      assertThat(await(() -> admin.counter("protean_wasm_filter_counter_total"
          + SERIES.formatted("dequeued")), 2)).as("queued from requests, dequeued by the root context")
          .isEqualTo(2);
    }
  }

  private static long await(LongSupplier value, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (value.getAsLong() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return value.getAsLong();
  }
}

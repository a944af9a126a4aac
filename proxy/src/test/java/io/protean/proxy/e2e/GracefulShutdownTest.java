package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.server.Proxy;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Stopping the proxy lets calls in flight finish before connections close. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GracefulShutdownTest {

  @Test
  void callsInFlightAreAnsweredWhileTheProxyStops() throws Exception {
    int providerPort = Ports.free();
    try (DubboProvider provider = new DubboProvider("steady", providerPort, "1.0.0", null)) {
      Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
          workers: 1
          admin: {enabled: false}
          listeners:
            - {name: dubbo, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}]}
          clusters:
            - {name: p, endpoints: ["127.0.0.1:%d"]}
          """.formatted(providerPort)));
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
}

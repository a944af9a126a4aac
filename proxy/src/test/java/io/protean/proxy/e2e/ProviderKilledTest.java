package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.protean.proxy.server.Proxy;
import io.protean.demo.peers.DubboConsumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.rpc.RpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A provider process killed with calls in flight: each caller gets a Dubbo error, not a hang. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProviderKilledTest {

  @Test
  void callsInFlightGetAnErrorWhenTheProviderDies() throws Exception {
    int providerPort = Ports.free();
    try (ProviderProcess provider = new ProviderProcess("doomed", providerPort, "1.0.0");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 1
            admin: {enabled: false}
            listeners:
              - name: dubbo
                address: 127.0.0.1:0
                codec: dubbo
                routes: [{cluster: doomed, timeout: 60s}]
            clusters:
              - {name: doomed, endpoints: ["127.0.0.1:%d"]}
            """.formatted(providerPort)));
        DubboConsumer consumer = new DubboConsumer(
            proxy.listenerAddress("dubbo").getPort(), "1.0.0", null, 60_000)) {
      assertThat(consumer.service().greet("before")).isEqualTo("hello before from doomed");

      CompletableFuture<String> a = CompletableFuture.supplyAsync(() -> consumer.service().slow(30_000));
      CompletableFuture<String> b = CompletableFuture.supplyAsync(() -> consumer.service().slow(30_000));
      Thread.sleep(1000); // both calls are now waiting in the provider
      provider.kill();

      for (CompletableFuture<String> call : java.util.List.of(a, b)) {
        Throwable t = catchThrowable(() -> call.get(20, TimeUnit.SECONDS));
        assertThat(t).hasCauseInstanceOf(RpcException.class);
        RpcException e = (RpcException) t.getCause();
        assertThat(e.isTimeout()).isFalse();
        assertThat(e).hasMessageContaining("protean: upstream 127.0.0.1:" + providerPort
            + " of cluster doomed closed the connection with the request in flight");
      }
      // With the provider gone, new calls fail fast with a Dubbo error as well.
      Throwable t = catchThrowable(() -> consumer.service().greet("after"));
      assertThat(t).isInstanceOf(RpcException.class).hasMessageContaining("protean: ");
    }
  }
}

package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.e2e.tinyrpc.TinyRpcClient;
import io.protean.proxy.e2e.tinyrpc.TinyRpcFrame;
import io.protean.proxy.e2e.tinyrpc.TinyRpcServer;
import io.protean.proxy.server.Proxy;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A request a filter pauses (StopIteration) and never resumes is still bounded by its route
 * timeout, counted from when it was read: in the request phase (the router never saw it) and in
 * the response phase (the upstream answer came and the router's own timeout was gone). The filter
 * is wasm-host's pause_filter.wat; the codec the Rust-built TinyRPC Wasm codec, whose timeout
 * error the client gets.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FilterPauseTimeoutTest {

  private static Proxy start(TinyRpcServer server) throws Exception {
    return Proxy.start(Proxy.configLoader().parse(new TinyRpcProxyConfig()
        .filter("wasm: {module: ../wasm-host/src/test/resources/wasm/filters/pause_filter.wasm}")
        .route("{cluster: a, timeout: 700ms}")
        .cluster("a", server.port())
        .yaml()));
  }

  @Test
  void aRequestHeldByAFilterGetsTheCodecsTimeoutError() throws Exception {
    try (TinyRpcServer a = new TinyRpcServer("A");
        Proxy proxy = start(a);
        TinyRpcClient c = new TinyRpcClient(proxy.listenerAddress("tiny").getPort())) {
      TinyRpcFrame held = c.call(Map.of("method", "get", "pause", "request"), "");
      assertThat(held.is(TinyRpcFrame.ERROR)).isTrue();
      assertThat(held.headers()).containsEntry("status", "TIMEOUT");
      assertThat(held.headers().get("message")).startsWith("protean: the request to ")
          .endsWith(" was held by a filter past the route timeout of 700 ms");
      assertThat(a.requestHeaders()).as("never forwarded").isEmpty();

      TinyRpcFrame heldResponse = c.call(Map.of("method", "get", "pause", "response"), "");
      assertThat(heldResponse.headers()).containsEntry("status", "TIMEOUT");
      assertThat(heldResponse.headers().get("message")).startsWith("protean: the response to ")
          .endsWith(" was held by a filter past the route timeout of 700 ms");
      assertThat(a.requestHeaders()).as("forwarded and answered upstream").hasSize(1);

      // The connection and the filter serve the next request as usual.
      TinyRpcFrame ok = c.call(Map.of("method", "get"), "hi");
      assertThat(ok.is(TinyRpcFrame.RESPONSE)).isTrue();
      assertThat(ok.bodyText()).isEqualTo("hi");
    }
  }

  /**
   * A filter that pauses and resumes (the fault filter's 300 ms delay) leaves the request less of
   * its timeout upstream: the 700 ms count from when it was read, so a provider answering in
   * 600 ms is too late (counted from the forwarding instead, it would be in time: 600 < 700).
   */
  @Test
  void aRequestResumedAfterAPauseKeepsTheTimeoutOfItsReading() throws Exception {
    try (TinyRpcServer a = new TinyRpcServer("A");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(new TinyRpcProxyConfig()
            .filter("fault: {rules: [{delay: {fixed: 300ms, percent: 100}}]}")
            .route("{cluster: a, timeout: 700ms}")
            .cluster("a", a.port())
            .yaml()));
        TinyRpcClient c = new TinyRpcClient(proxy.listenerAddress("tiny").getPort())) {
      TinyRpcFrame late = c.call(Map.of("method", "get", "sleep-ms", "600"), "");
      assertThat(late.headers()).containsEntry("status", "TIMEOUT");
      assertThat(late.headers().get("message")).startsWith("protean: upstream 127.0.0.1:")
          .endsWith(" did not answer within 700 ms");
      assertThat(a.requestHeaders()).as("it was forwarded after the delay").hasSize(1);

      TinyRpcFrame inTime = c.call(Map.of("method", "get", "sleep-ms", "0"), "ok");
      assertThat(inTime.bodyText()).isEqualTo("ok");
    }
  }
}

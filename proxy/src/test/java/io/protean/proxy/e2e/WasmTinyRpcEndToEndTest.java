package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.server.Proxy;
import io.protean.proxy.e2e.tinyrpc.TinyRpcClient;
import io.protean.proxy.e2e.tinyrpc.TinyRpcFrame;
import io.protean.proxy.e2e.tinyrpc.TinyRpcServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The custom TinyRPC protocol through the proxy with the codec compiled to Wasm from Rust
 * (example-codecs-rust) and from Go (example-codecs-tinygo), on both engines: routing on headers,
 * error replies, shared upstream connections with out-of-order answers, one-way, heartbeats,
 * mutation by filters. Every request also passes two filters built with the official proxy-wasm
 * SDKs, one in Rust and one in Go.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WasmTinyRpcEndToEndTest {
  /** The TinyRPC codec module built from each language. */
  static Path module(String language) {
    Path module = Path.of(language.equals("rust") ? "../example-codecs-rust/wasm/tinyrpc.wasm"
        : "../example-codecs-tinygo/wasm/tinyrpc.wasm");
    assertThat(Files.exists(module)).as(module.toAbsolutePath() + " (built by example-codecs-"
        + (language.equals("rust") ? "rust" : "tinygo") + "/build.sh)").isTrue();
    return module;
  }

  /** The tenant every request carries to pass the Go filter. */
  static final Map<String, String> TENANT = Map.of("x-tenant", "acme");

  static Map<String, String> headers(String... pairs) {
    Map<String, String> h = new java.util.HashMap<>(TENANT);
    for (int i = 0; i < pairs.length; i += 2) {
      h.put(pairs[i], pairs[i + 1]);
    }
    return h;
  }

  private static Proxy start(String language, String engine, TinyRpcServer a, TinyRpcServer b)
      throws Exception {
    return Proxy.start(Proxy.configLoader().parse("""
        workers: 1
        admin: {enabled: false}
        listeners:
          - name: tiny
            address: 127.0.0.1:0
            codec: {wasm: {module: %s, engine: %s}}
            filters:
              - set_metadata: {set: {x-via: protean}}
              # Built with the official proxy-wasm Rust SDK (example-codecs-rust/filters/deny_method).
              - wasm:
                  module: ../example-codecs-rust/wasm/deny_method_filter.wasm
                  engine: %s
                  config: {deny: [getDenied], header: x-filtered-by, value: protean-wasm}
              # Built with the official proxy-wasm Go SDK (example-codecs-tinygo/filters/tenant_guard).
              - wasm:
                  module: ../example-codecs-tinygo/wasm/tenant_guard_filter.wasm
                  engine: %s
                  config: {header: x-tenant, allowed: [acme, globex], stamp: x-tenant-verified}
            routes:
              - match: {metadata: [{key: method, prefix: get}]}
                cluster: a
                timeout: 5s
              - match: {metadata: [{key: method, prefix: put}]}
                cluster: b
                timeout: 5s
        clusters:
          - {name: a, endpoints: ["127.0.0.1:%d"]}
          - {name: b, endpoints: ["127.0.0.1:%d"]}
        """.formatted(module(language), engine, engine, engine, a.port(), b.port())));
  }

  @ParameterizedTest
  @CsvSource({"rust, compiler", "rust, interpreter", "go, compiler", "go, interpreter"})
  void routesRepliesAndMultiplexes(String language, String engine) throws Exception {
    try (TinyRpcServer a = new TinyRpcServer("A");
        TinyRpcServer b = new TinyRpcServer("B");
        Proxy proxy = start(language, engine, a, b);
        TinyRpcClient c1 = new TinyRpcClient(proxy.listenerAddress("tiny").getPort());
        TinyRpcClient c2 = new TinyRpcClient(proxy.listenerAddress("tiny").getPort())) {

      TinyRpcFrame r = c1.call(headers("method", "getUser", "user", "42"), "hello");
      assertThat(r.is(TinyRpcFrame.RESPONSE)).isTrue();
      assertThat(r.headers()).containsEntry("served-by", "A").containsEntry("method", "getUser");
      assertThat(r.bodyText()).isEqualTo("hello");
      assertThat(c1.call(headers("method", "putUser"), "x").headers()).containsEntry("served-by", "B");

      // Both filters' mutations were re-encoded by the Wasm codec: the server saw the new headers
      // (x-filtered-by comes from the proxy-wasm filter's add_http_request_header).
      assertThat(a.requestHeaders()).anySatisfy(h -> assertThat(h).containsEntry("x-via", "protean")
          .containsEntry("x-filtered-by", "protean-wasm").containsEntry("user", "42")
          .containsEntry("x-tenant-verified", "acme"));

      // The proxy-wasm filter's send_http_response becomes the codec's error reply.
      TinyRpcFrame denied = c1.call(headers("method", "getDenied"), "");
      assertThat(denied.is(TinyRpcFrame.ERROR)).isTrue();
      assertThat(denied.headers()).containsEntry("status", "LOCAL_REPLY")
          .containsEntry("message", "protean: method getDenied is denied");

      // The Go filter's local responses: no tenant, a tenant not allowed. Nothing went upstream.
      int before = a.requestHeaders().size();
      assertThat(c1.call(Map.of("method", "getUser"), "").headers())
          .containsEntry("status", "LOCAL_REPLY").containsEntry("message", "protean: missing x-tenant");
      assertThat(c1.call(Map.of("method", "getUser", "x-tenant", "initech"), "").headers())
          .containsEntry("status", "LOCAL_REPLY")
          .containsEntry("message", "protean: tenant \"initech\" is not allowed");
      assertThat(a.requestHeaders()).hasSize(before);

      // No route: the codec's error reply, with the proxy's message.
      TinyRpcFrame err = c1.call(headers("method", "deleteUser"), "");
      assertThat(err.is(TinyRpcFrame.ERROR)).isTrue();
      assertThat(err.headers()).containsEntry("status", "ROUTE_NOT_FOUND");
      assertThat(err.headers().get("message")).startsWith("protean: no route matches");

      // Both clients share the proxy's one upstream connection to A; the slow answer comes last
      // upstream, yet each client gets its own answer under its own id.
      CompletableFuture<TinyRpcFrame> slow = CompletableFuture.supplyAsync(() -> call(c1,
          headers("method", "getSlow", "sleep-ms", "300"), "slow"));
      Thread.sleep(50);
      TinyRpcFrame fast = c2.call(headers("method", "getFast"), "fast");
      assertThat(fast.bodyText()).isEqualTo("fast");
      assertThat(slow.get(10, TimeUnit.SECONDS).bodyText()).isEqualTo("slow");

      // One-way: forwarded, never answered.
      c2.send(new TinyRpcFrame(TinyRpcFrame.ONEWAY, 99, headers("method", "getLog"), "note".getBytes()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (a.oneways().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(a.oneways()).singleElement().satisfies(f -> assertThat(f.bodyText()).isEqualTo("note"));

      // Heartbeat: answered by the proxy through the codec.
      c2.send(new TinyRpcFrame(TinyRpcFrame.HEARTBEAT, 7, Map.of(), new byte[0]));
      TinyRpcFrame hb = c2.read();
      assertThat(hb.id()).isEqualTo(7);
      assertThat(hb.is(TinyRpcFrame.HEARTBEAT) && hb.is(TinyRpcFrame.RESPONSE)).isTrue();
    }
  }

  @ParameterizedTest
  @CsvSource({"rust, compiler", "rust, interpreter", "go, compiler", "go, interpreter"})
  void garbageClosesOnlyItsConnection(String language, String engine) throws Exception {
    try (TinyRpcServer a = new TinyRpcServer("A");
        TinyRpcServer b = new TinyRpcServer("B");
        Proxy proxy = start(language, engine, a, b);
        TinyRpcClient bad = new TinyRpcClient(proxy.listenerAddress("tiny").getPort());
        TinyRpcClient good = new TinyRpcClient(proxy.listenerAddress("tiny").getPort())) {
      bad.sendRaw("GET / HTTP/1.1\r\n\r\n".getBytes());
      assertThat(bad.read()).isNull(); // closed by the proxy
      assertThat(good.call(headers("method", "getX"), "ok").bodyText()).isEqualTo("ok");
    }
  }

  private static TinyRpcFrame call(TinyRpcClient c, Map<String, String> headers, String body) {
    try {
      return c.call(headers, body);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

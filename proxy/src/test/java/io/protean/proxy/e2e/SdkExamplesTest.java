package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.protean.proxy.e2e.tinyrpc.TinyRpcClient;
import io.protean.proxy.e2e.tinyrpc.TinyRpcFrame;
import io.protean.proxy.e2e.tinyrpc.TinyRpcServer;
import io.protean.proxy.server.Proxy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The example filters that ship inside the crates.io proxy-wasm 0.2.0 package, built unmodified
 * from the registry package (example-codecs-rust/sdk-examples.sh, run here when the modules are
 * missing), in one filter chain on the TinyRPC listener (the Rust-built Wasm codec), each doing
 * what its source says it does:
 *
 * <ul>
 *   <li>hello_world (a root-only plugin): logs "Hello, World!" at vm start, then every 5 s "It's
 *       ..., there is no lucky number." from its tick; requests pass
 *   <li>http_headers: a request whose {@code :path} is {@code /hello} gets a local reply with
 *       body "Hello, World!\n"; others continue
 *   <li>http_auth_random: calls cluster {@code httpbin} ({@code GET /bytes/1}, a real HTTP
 *       server here); an even first byte lets the request through, an odd one answers "Access
 *       forbidden.\n"; it sets response header {@code Powered-By: proxy-wasm}
 *   <li>http_config: adds response header {@code custom-header} with its plugin configuration
 *   <li>http_body (with {@code body: true}): reads each response body at its end and lets one
 *       without "secret" through; redacting one with "secret" needs a body write, which the host
 *       does not offer (docs/filters.md: the call returns Unimplemented, the SDK panics)
 * </ul>
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class SdkExamplesTest {
  static final Path EXAMPLES = Path.of("../target/proxy-wasm-0.2.0-examples");
  static final List<String> NAMES = List.of("hello_world", "http_auth_random", "http_body",
      "http_config", "http_headers");

  @BeforeAll
  static void buildFromTheRegistryPackage() throws Exception {
    if (NAMES.stream().allMatch(n -> Files.exists(EXAMPLES.resolve(n + ".wasm")))) {
      return;
    }
    Process p = new ProcessBuilder("bash", "../example-codecs-rust/sdk-examples.sh")
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(540, TimeUnit.SECONDS)).as("sdk-examples.sh finished").isTrue();
    assertThat(p.exitValue()).as("sdk-examples.sh failed:\n" + output).isZero();
  }

  /** Stands in for httpbin.org: {@code GET /bytes/1} answers the next byte of {@link #bytes}. */
  static final class Httpbin implements AutoCloseable {
    final HttpServer server;
    final ConcurrentLinkedQueue<Integer> bytes = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> hosts = new ConcurrentLinkedQueue<>();

    Httpbin() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/bytes/1", exchange -> {
        hosts.add(exchange.getRequestHeaders().getFirst("Host"));
        Integer b = bytes.poll();
        byte[] body = {(byte) (b == null ? 1 : b)};
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private static String module(String name) {
    return EXAMPLES.resolve(name + ".wasm").toString();
  }

  @Test
  void theSdksOwnExamplesDoWhatTheySay() throws Exception {
    PrintStream stderr = System.err;
    ByteArrayOutputStream logged = new ByteArrayOutputStream();
    System.setErr(new PrintStream(new TeeStream(stderr, logged), true));
    try (Httpbin httpbin = new Httpbin();
        TinyRpcServer a = new TinyRpcServer("A");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse(new TinyRpcProxyConfig()
            .filter("wasm: {module: " + module("hello_world") + "}")
            .filter("wasm: {module: " + module("http_headers") + "}")
            .filter("wasm: {module: " + module("http_auth_random") + "}")
            .filter("wasm: {module: " + module("http_config") + ", config: protean-config}")
            .filter("wasm: {module: " + module("http_body") + ", body: true}")
            .route("{cluster: a, timeout: 10s}")
            .cluster("a", a.port())
            .cluster("httpbin", httpbin.port())
            .yaml()));
        TinyRpcClient c = new TinyRpcClient(proxy.listenerAddress("tiny").getPort())) {

      // http_auth_random: an even byte from httpbin lets the request through.
      httpbin.bytes.add(2);
      TinyRpcFrame granted = c.call(Map.of("method", "get"), "hi");
      assertThat(granted.is(TinyRpcFrame.RESPONSE)).isTrue();
      assertThat(granted.is(TinyRpcFrame.ERROR)).isFalse();
      assertThat(granted.bodyText()).isEqualTo("hi");
      assertThat(granted.headers()).containsEntry("Powered-By", "proxy-wasm") // http_auth_random
          .containsEntry("custom-header", "protean-config"); // http_config
      assertThat(httpbin.hosts).containsExactly("httpbin.org"); // its :authority

      // An odd byte: forbidden, and nothing goes upstream.
      httpbin.bytes.add(1);
      int before = a.requestHeaders().size();
      TinyRpcFrame forbidden = c.call(Map.of("method", "get"), "hi");
      assertThat(forbidden.is(TinyRpcFrame.ERROR)).isTrue();
      assertThat(forbidden.headers()).containsEntry("status", "LOCAL_REPLY")
          .containsEntry("message", "protean: Access forbidden.\n");
      assertThat(a.requestHeaders()).hasSize(before);

      // http_headers: :path /hello is answered before the callout.
      TinyRpcFrame hello = c.call(Map.of("method", "get", ":path", "/hello"), "");
      assertThat(hello.headers()).containsEntry("message", "protean: Hello, World!\n");
      assertThat(httpbin.hosts).hasSize(2);

      // hello_world: its vm start and (within a few 5 s periods) its tick.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!logged.toString(StandardCharsets.UTF_8).contains("there is no lucky number.")
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      String log = logged.toString(StandardCharsets.UTF_8);
      assertThat(log).contains("Hello, World!").contains("there is no lucky number.");
    } finally {
      System.setErr(stderr);
    }
  }

  /** Writes to both streams (the test's copy is read while the proxy logs). */
  private static final class TeeStream extends OutputStream {
    private final OutputStream a;
    private final ByteArrayOutputStream b;

    TeeStream(OutputStream a, ByteArrayOutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      a.write(x);
      synchronized (b) {
        b.write(x);
      }
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws IOException {
      a.write(bytes, off, len);
      synchronized (b) {
        b.write(bytes, off, len);
      }
    }
  }
}

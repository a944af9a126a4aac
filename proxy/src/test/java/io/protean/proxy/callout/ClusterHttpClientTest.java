package io.protean.proxy.callout;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.protean.abi.HttpCallouts;
import io.protean.proxy.config.model.HostPort;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Callouts against real sockets: a JDK HTTP server, a server that never answers, no cluster. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClusterHttpClientTest {
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  @AfterEach
  void stop() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private HttpCallouts.Response call(Map<String, List<HostPort>> clusters, String cluster,
      long timeoutMillis) throws Exception {
    ClusterHttpClient client = new ClusterHttpClient(NioSocketChannel.class, clusters::get);
    CompletableFuture<HttpCallouts.Response> answer = new CompletableFuture<>();
    boolean sent = group.next().submit(() -> client.send(cluster, new HttpCallouts.Request("POST",
        "/check?x=1", "auth.local", List.of(Map.entry("x-token", "t1")),
        "ping".getBytes(StandardCharsets.UTF_8)), timeoutMillis, answer::complete)).get();
    return sent ? answer.get(20, TimeUnit.SECONDS) : null;
  }

  @Test
  void sendsTheRequestAndDeliversTheResponse() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    CompletableFuture<String> seen = new CompletableFuture<>();
    server.createContext("/check", exchange -> {
      seen.complete(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
          + exchange.getRequestHeaders().getFirst("Host") + " "
          + exchange.getRequestHeaders().getFirst("x-token") + " "
          + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      exchange.getResponseHeaders().add("x-verdict", "allow");
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(201, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    try {
      HttpCallouts.Response r = call(Map.of("auth", List.of(new HostPort("127.0.0.1",
          server.getAddress().getPort()))), "auth", 10_000);
      assertThat(r.failure()).isNull();
      assertThat(r.status()).isEqualTo(201);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("ok");
      assertThat(r.headers()).anySatisfy(h -> assertThat(h.getKey()).isEqualToIgnoringCase("x-verdict"));
      assertThat(seen.get()).isEqualTo("POST /check?x=1 auth.local t1 ping");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aServerThatNeverAnswersTimesOut() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      HttpCallouts.Response r = call(Map.of("slow", List.of(new HostPort("127.0.0.1",
          silent.getLocalPort()))), "slow", 200);
      assertThat(r.status()).isZero();
      assertThat(r.failure()).isEqualTo("no response from 127.0.0.1:" + silent.getLocalPort()
          + " within 200 ms");
    }
  }

  @Test
  void anUnknownOrEmptyClusterIsRefused() throws Exception {
    assertThat(call(Map.of(), "nowhere", 1000)).isNull();
    assertThat(call(Map.of("empty", List.of()), "empty", 1000)).isNull();
  }

  @Test
  void aClosedPortIsAFailure() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    HttpCallouts.Response r = call(Map.of("gone", List.of(new HostPort("127.0.0.1", port))), "gone",
        5000);
    assertThat(r.status()).isZero();
    assertThat(r.failure()).startsWith("cannot connect to 127.0.0.1:" + port);
  }
}

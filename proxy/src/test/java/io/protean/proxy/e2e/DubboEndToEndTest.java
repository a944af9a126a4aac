package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.protean.proxy.server.Proxy;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.rpc.RpcContext;
import org.apache.dubbo.rpc.RpcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The proxy between Apache Dubbo's own consumer and provider (org.apache.dubbo:dubbo 3.3), with
 * the native Dubbo codec: routing on interface, method, version, group and attachments; round
 * robin; one-way; large payloads; and every error a client can meet, each of which must arrive as
 * a Dubbo error, never as a client-side timeout.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DubboEndToEndTest {
  private static final String SERVICE = "io.protean.demo.peers.DemoService";
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, DubboConsumer> consumers = new HashMap<>();
  private DubboProvider blue1;
  private DubboProvider blue2;
  private Proxy proxy;
  private int port;
  private int filteredPort;

  /** The listeners' {@code codec:} value: the native codec or a Wasm module. */
  abstract String codec();

  @BeforeAll
  void start() throws Exception {
    blue1 = provider("blue1", "1.0.0", null);
    blue2 = provider("blue2", "1.0.0", null);
    DubboProvider green = provider("green", "1.0.0", null);
    DubboProvider grouped = provider("grouped", "1.0.0", "g2");
    DubboProvider v2 = provider("v2", "2.0.0", null);
    String yaml = """
        workers: 2
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: dubbo
            address: 127.0.0.1:0
            codec: %s
            routes:
              - name: lane-green
                match: {metadata: [{key: x-lane, exact: green}]}
                cluster: green
              - name: group-g2
                match: {metadata: [{key: group, exact: g2}]}
                cluster: grouped
              - name: pair
                match: {metadata: [{key: x-pair, present: true}]}
                cluster: pair
              - name: random
                match: {metadata: [{key: x-lb, exact: random}]}
                cluster: pair_random
              - name: least
                match: {metadata: [{key: x-lb, exact: least}]}
                cluster: pair_least
              - name: short-timeout
                match: {metadata: [{key: x-short-timeout, present: true}]}
                cluster: blue1
                timeout: 300ms
              - name: dead
                match: {metadata: [{key: x-dead, present: true}]}
                cluster: dead
              - name: half-dead
                match: {metadata: [{key: x-half-dead, present: true}]}
                cluster: half_dead
              - name: slow-to-blue2
                match: {metadata: [{key: method, exact: slow}]}
                cluster: blue2
              - name: v2
                match: {metadata: [{key: interface, exact: %s}, {key: version, exact: 2.0.0}]}
                cluster: v2
              - name: v1
                match: {metadata: [{key: version, prefix: "1."}]}
                cluster: blue1
          - name: filtered
            address: 127.0.0.1:0
            codec: %s
            filters:
              - deny:
                  match: [{key: method, exact: slow}]
                  message: slow calls are not allowed here
              - set_metadata:
                  set: {x-lane: green, x-added: "yes"}
                  remove: [x-secret]
            routes:
              - match: {metadata: [{key: x-lane, exact: green}]}
                cluster: green
        clusters:
          - {name: blue1, endpoints: ["127.0.0.1:%d"]}
          - {name: blue2, endpoints: ["127.0.0.1:%d"]}
          - {name: pair, lb: round_robin, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
          - {name: pair_random, lb: random, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
          - {name: pair_least, lb: least_request, connections_per_endpoint: 2, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
          - {name: green, endpoints: ["127.0.0.1:%d"]}
          - {name: grouped, endpoints: ["127.0.0.1:%d"]}
          - {name: v2, endpoints: ["127.0.0.1:%d"]}
          - {name: dead, endpoints: ["127.0.0.1:%d"]}
          - {name: half_dead, endpoints: ["127.0.0.1:%d", "127.0.0.1:%d"]}
        """.formatted(codec(), SERVICE, codec(), blue1.port(), blue2.port(), blue1.port(), blue2.port(),
        blue1.port(), blue2.port(), blue1.port(), blue2.port(),
        green.port(), grouped.port(), v2.port(), Ports.free(), Ports.free(), blue1.port());
    proxy = Proxy.start(Proxy.configLoader().parse(yaml));
    closeables.add(proxy);
    port = proxy.listenerAddress("dubbo").getPort();
    filteredPort = proxy.listenerAddress("filtered").getPort();
  }

  private DubboProvider provider(String name, String version, String group) {
    DubboProvider p = new DubboProvider(name, Ports.free(), version, group);
    closeables.add(p);
    return p;
  }

  /** One consumer per version/group, reused across tests (a Dubbo consumer takes a while to start). */
  private DubboConsumer consumer(String version, String group) {
    return consumer(port, version, group);
  }

  private DubboConsumer consumer(int listenerPort, String version, String group) {
    return consumers.computeIfAbsent(listenerPort + "/" + version + "/" + group, k -> {
      DubboConsumer c = new DubboConsumer(listenerPort, version, group, 15_000);
      closeables.add(c);
      return c;
    });
  }

  @AfterAll
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void plainCallReachesTheDefaultRoute() {
    assertThat(consumer("1.0.0", null).service().greet("ann")).isEqualTo("hello ann from blue1");
  }

  @Test
  void routesByServiceVersion() {
    assertThat(consumer("2.0.0", null).service().greet("ann")).isEqualTo("hello ann from v2");
  }

  @Test
  void routesByMethod() {
    assertThat(consumer("1.0.0", null).service().slow(1)).isEqualTo("blue2 slept 1 ms");
  }

  @Test
  void routesByGroup() {
    assertThat(consumer("1.0.0", "g2").service().greet("ann")).isEqualTo("hello ann from grouped");
  }

  @Test
  void routesByCustomAttachmentAndForwardsIt() {
    RpcContext.getClientAttachment().setAttachment("x-lane", "green");
    assertThat(consumer("1.0.0", null).service().greet("ann")).isEqualTo("hello ann from green");
    RpcContext.getClientAttachment().setAttachment("x-lane", "green");
    consumer("1.0.0", null).service().greet("bob");
    // The provider sees the attachment the proxy routed on: the frame went through unchanged.
    assertThat(green().attachments()).anySatisfy(a -> assertThat(a).containsEntry("x-lane", "green"));
  }

  private DubboProvider green() {
    return closeables.stream().filter(c -> c instanceof DubboProvider p && p.name().equals("green"))
        .map(DubboProvider.class::cast).findFirst().orElseThrow();
  }

  @Test
  void filtersRewriteAttachmentsOnTheWire() {
    RpcContext.getClientAttachment().setAttachment("x-secret", "s3cr3t");
    RpcContext.getClientAttachment().setAttachment("x-kept", "kept");
    String marker = "filtered-" + System.nanoTime();
    assertThat(consumer(filteredPort, "1.0.0", null).service().greet(marker))
        .isEqualTo("hello " + marker + " from green");
    // The provider decoded the re-encoded request: new keys added, removed key gone, others kept.
    assertThat(green().attachments()).anySatisfy(a -> assertThat(a)
        .containsEntry("x-lane", "green").containsEntry("x-added", "yes")
        .containsEntry("x-kept", "kept").doesNotContainKey("x-secret"));
  }

  @Test
  void denyFilterAnswersWithADubboError() {
    Throwable t = catchThrowable(() -> consumer(filteredPort, "1.0.0", null).service().slow(1));
    assertThat(t).isInstanceOf(RpcException.class)
        .hasMessageContaining("protean: slow calls are not allowed here");
  }

  @Test
  void roundRobinsOverTwoProviders() {
    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      RpcContext.getClientAttachment().setAttachment("x-pair", "1");
      answers.add(consumer("1.0.0", null).service().greet("rr"));
    }
    // One consumer connection lives on one event loop; that loop's round robin alternates.
    assertThat(answers).filteredOn(a -> a.endsWith("blue1")).hasSize(3);
    assertThat(answers).filteredOn(a -> a.endsWith("blue2")).hasSize(3);
  }

  @Test
  void randomAndLeastRequestReachEveryProvider() {
    for (String lb : List.of("random", "least")) {
      List<String> answers = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        RpcContext.getClientAttachment().setAttachment("x-lb", lb);
        answers.add(consumer("1.0.0", null).service().greet(lb));
      }
      // 30 sequential calls all landing on one of two providers: probability 2^-29 if fair.
      assertThat(answers).as(lb).anyMatch(a -> a.endsWith("blue1")).anyMatch(a -> a.endsWith("blue2"));
    }
  }

  @Test
  void onewayIsForwardedAndNotAnswered() throws InterruptedException {
    String note = "note-" + System.nanoTime();
    consumer("1.0.0", null).service().note(note);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!blue1.notes().contains(note) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(blue1.notes()).contains(note);
    // The connection still carries ordinary calls afterwards.
    assertThat(consumer("1.0.0", null).service().greet("after")).endsWith("blue1");
  }

  @Test
  void largePayloadsPassBothWays() {
    StringBuilder sb = new StringBuilder(1 << 20);
    for (int i = 0; sb.length() < (1 << 20); i++) {
      sb.append((char) ('a' + i % 26)).append('\u00e9');
    }
    String payload = sb.toString();
    assertThat(consumer("1.0.0", null).service().echo(payload)).isEqualTo(payload);
  }

  @Test
  void noRouteIsADubboError() {
    Throwable t = catchThrowable(() -> consumer("9.9.9", null).service().greet("x"));
    assertThat(t).isInstanceOf(RpcException.class).hasMessageContaining("protean: no route matches")
        .hasMessageContaining("greet").hasMessageContaining("9.9.9");
    assertThat(((RpcException) t).isTimeout()).isFalse();
  }

  @Test
  void deadUpstreamIsADubboError() {
    RpcContext.getClientAttachment().setAttachment("x-dead", "1");
    assertThatThrownBy(() -> consumer("1.0.0", null).service().greet("x"))
        .isInstanceOf(RpcException.class).hasMessageContaining("protean: cannot connect to upstream");
    // Right after a failed connect the endpoint backs off: the next call fails fast too.
    RpcContext.getClientAttachment().setAttachment("x-dead", "1");
    assertThatThrownBy(() -> consumer("1.0.0", null).service().greet("x"))
        .isInstanceOf(RpcException.class).hasMessageContaining("protean: no healthy upstream in cluster 'dead'");
  }

  @Test
  void aFailedConnectIsRetriedOnAnotherEndpoint() throws Exception {
    for (int i = 0; i < 6; i++) {
      RpcContext.getClientAttachment().setAttachment("x-half-dead", "1");
      assertThat(consumer("1.0.0", null).service().greet("retry")).isEqualTo("hello retry from blue1");
    }
    assertThat(counter("protean_cluster_connect_retries_total{cluster=\"half_dead\"}")).isPositive();
  }

  @Test
  void routeTimeoutIsADubboTimeoutFromTheProxy() {
    RpcContext.getClientAttachment().setAttachment("x-short-timeout", "1");
    Throwable t = catchThrowable(() -> consumer("1.0.0", null).service().slow(2000));
    assertThat(t).isInstanceOf(RpcException.class)
        .hasMessageContaining("protean: upstream 127.0.0.1:" + blue1.port() + " did not answer within 300 ms");
    // The late response is dropped, and the connection keeps working.
    assertThat(consumer("1.0.0", null).service().greet("later")).endsWith("blue1");
  }

  @Test
  void heartbeatIsAnsweredByTheProxy() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      // magic, request|two-way|event|hessian2, status, id 77, body length 1, body: hessian null
      ByteBuffer hb = ByteBuffer.allocate(17).putShort((short) 0xdabb).put((byte) 0xe2).put((byte) 0)
          .putLong(77).putInt(1).put((byte) 'N');
      OutputStream out = s.getOutputStream();
      out.write(hb.array());
      out.flush();
      byte[] reply = s.getInputStream().readNBytes(17);
      ByteBuffer r = ByteBuffer.wrap(reply);
      assertThat(r.getShort()).isEqualTo((short) 0xdabb);
      assertThat(r.get() & 0xff).isEqualTo(0x22); // response, event, hessian2
      assertThat(r.get()).isEqualTo((byte) 20);
      assertThat(r.getLong()).isEqualTo(77);
      assertThat(r.getInt()).isEqualTo(1);
      assertThat(r.get()).isEqualTo((byte) 'N');
    }
  }

  @Test
  void garbageClosesOnlyItsOwnConnection() throws Exception {
    long before = counter("protean_listener_decode_errors_total{listener=\"dubbo\"}");
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      assertThat(in.read()).isEqualTo(-1); // closed by the proxy
    }
    assertThat(counter("protean_listener_decode_errors_total{listener=\"dubbo\"}")).isEqualTo(before + 1);
    assertThat(consumer("1.0.0", null).service().greet("still")).isEqualTo("hello still from blue1");
  }

  @Test
  void adminServesReadyStatsAndConfig() throws Exception {
    consumer("1.0.0", null).service().greet("stats");
    assertThat(get("/ready")).isEqualTo("ready\n");
    String stats = get("/stats");
    assertThat(stats)
        .contains("# TYPE protean_listener_requests_total counter")
        .contains("protean_listener_responses_total{listener=\"dubbo\",status=\"OK\"}")
        .contains("protean_listener_request_duration_seconds_bucket{listener=\"dubbo\",le=\"+Inf\"}")
        .contains("protean_listener_active_requests{listener=\"dubbo\"} 0")
        .contains("protean_cluster_upstream_connections{cluster=\"blue1\"}");
    assertThat(counter("protean_listener_requests_total{listener=\"dubbo\"}")).isPositive();
    assertThat(get("/config_dump")).contains("\"connections_per_endpoint\" : 1")
        .contains("\"name\" : \"lane-green\"");
  }

  private long counter(String series) {
    return new AdminClient(proxy.adminAddress()).counter(series);
  }

  private String get(String path) {
    return new AdminClient(proxy.adminAddress()).get(path);
  }
}

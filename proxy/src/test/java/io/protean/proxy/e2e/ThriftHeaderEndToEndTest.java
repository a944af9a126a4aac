package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.e2e.ThriftPeers.PythonServer;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The proxy between clients of the Python {@code thrift} package and of the Go library and a
 * Python server ({@link ThriftPeers}): THeader with binary and compact inside, its info headers
 * routed on and changed by {@code set_metadata} both ways, seq ids rewritten in the header and
 * the message so clients share an upstream connection, zlib refused with a
 * TApplicationException; the Go library's oneway calls (written as CALL) named in
 * {@code oneway_methods}; compact framed and unframed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThriftHeaderEndToEndTest {
  private PythonServer py;
  private PythonServer canary;
  private Proxy proxy;

  @BeforeAll
  void start() throws Exception {
    ThriftPeers.install();
    py = new PythonServer("py");
    canary = new PythonServer("canary");
    // An upstream connection keeps the transport and protocol of its first message, so each
    // dialect has listeners and clusters of its own (all on the same servers).
    StringBuilder listeners = new StringBuilder();
    StringBuilder clusters = new StringBuilder();
    for (String dialect : List.of("header-binary", "header-compact", "framed-compact",
        "unframed-compact", "framed-binary")) {
      listeners.append("""
            - name: plain-%1$s
              address: 127.0.0.1:0
              codec: {thrift: {oneway_methods: [note]}}
              routes:
                - match: {metadata: [{key: x-lane, exact: canary}]}
                  cluster: canary-%1$s
                - cluster: py-%1$s
          """.formatted(dialect));
      if (dialect.startsWith("header-")) {
        listeners.append("""
            - name: mutating-%1$s
              address: 127.0.0.1:0
              codec: {thrift: {transport: header}}
              filters:
                - set_metadata:
                    request:
                      set: {x-proxied: protean}
                      remove: [x-secret]
                      rename: {x-user: x-caller}
                    response: {set: {x-via: protean}, remove: [served-by]}
              routes:
                - cluster: mutating-%1$s
          """.formatted(dialect));
      }
      clusters.append("""
            - {name: py-%1$s, endpoints: ["127.0.0.1:%2$d"]}
            - {name: canary-%1$s, endpoints: ["127.0.0.1:%3$d"]}
            - {name: mutating-%1$s, endpoints: ["127.0.0.1:%2$d"]}
          """.formatted(dialect, py.port(), canary.port()));
    }
    String yaml = "admin: {enabled: false}\nlisteners:\n" + listeners + "clusters:\n" + clusters;
    proxy = Proxy.start(Proxy.configLoader().parse(yaml));
  }

  @AfterAll
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (py != null) {
      py.close();
    }
    if (canary != null) {
      canary.close();
    }
  }

  /** The port of listener {@code kind} ("plain" or "mutating") for one dialect. */
  private int port(String kind, String transport, String protocol) {
    return proxy.listenerAddress(kind + "-" + transport + "-" + protocol).getPort();
  }

  private static final List<String> CALLS = List.of("echo:hi", "add:2:3", "fail:7", "note:%s",
      "header:x-trace=t-1", "echo:headers", "response-header:served-by", "echo:after");

  private static List<String> calls(String note) {
    return CALLS.stream().map(c -> c.formatted(note)).toList();
  }

  private static List<String> answers(String server) {
    return List.of("echo:hi -> " + server + ":hi", "add:2:3 -> 5",
        "fail:7 -> EchoFailure 7 " + server + " failed with 7", "note:%s -> sent",
        "header:x-trace=t-1 -> set", "echo:headers -> x-trace=t-1",
        "response-header:served-by -> " + server, "echo:after -> " + server + ":after");
  }

  private void assertNoted(String note) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!py.notes.contains(note) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(py.notes).contains(note);
  }

  /** The output of {@code client} ("python" or "go") calling listener {@code kind}. */
  private List<String> call(String client, String kind, String transport, String protocol,
      List<String> calls) throws Exception {
    int port = port(kind, transport, protocol);
    return client.equals("go") ? ThriftPeers.goClient(port, transport, protocol, calls)
        : ThriftPeers.pythonClient(port, transport, protocol, calls);
  }

  /** The Go client's oneway note is a CALL: oneway_methods says it is one-way. */
  @ParameterizedTest
  @CsvSource({"python, binary", "python, compact", "go, binary", "go, compact"})
  void theaderClientsCallThroughTheProxy(String client, String protocol) throws Exception {
    String note = client + "-" + protocol;
    assertThat(call(client, "plain", "header", protocol, calls(note))).containsExactlyElementsOf(
        answers("py").stream().map(a -> a.formatted(note)).toList());
    assertNoted(note);
  }

  @ParameterizedTest
  @CsvSource({"python, binary", "python, compact", "go, binary", "go, compact"})
  void infoHeadersRoute(String client, String protocol) throws Exception {
    List<String> calls = List.of("echo:first", "header:x-lane=canary", "echo:second",
        "response-header:served-by");
    assertThat(call(client, "plain", "header", protocol, calls)).containsExactly("echo:first -> py:first", "header:x-lane=canary -> set",
        "echo:second -> canary:second", "response-header:served-by -> canary");
  }

  @ParameterizedTest
  @CsvSource({"python, binary", "python, compact", "go, binary", "go, compact"})
  void setMetadataChangesInfoHeadersBothWays(String client, String protocol) throws Exception {
    List<String> calls = List.of("header:x-secret=s3cret", "header:x-user=ann",
        "header:x-kept=yes", "echo:headers", "response-header:x-via",
        "response-header:served-by");
    assertThat(call(client, "mutating", "header", protocol, calls)).containsExactly("header:x-secret=s3cret -> set", "header:x-user=ann -> set",
        "header:x-kept=yes -> set", "echo:headers -> x-caller=ann;x-kept=yes;x-proxied=protean",
        "response-header:x-via -> protean", "response-header:served-by -> (none)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"binary", "compact"})
  void zlibIsRefusedWithATApplicationException(String protocol) throws Exception {
    List<String> out = call("python", "plain", "header", protocol, List.of("echo:plain", "zlib", "echo:squeezed", "add:1:2"));
    String refusal = "TApplicationException 7: protean: the THeader transform 1 (zlib) is not"
        + " supported; send the payload untransformed";
    // The connection stays open: the second compressed call is refused as well.
    assertThat(out).containsExactly("echo:plain -> py:plain", "zlib -> set",
        "echo:squeezed !> " + refusal, "add:1:2 !> " + refusal);
  }

  /**
   * Two clients × 300 calls over the proxy's one upstream connection: each seq id is rewritten in
   * the THeader header and in the message (compact: a varint that grows past 127).
   */
  @ParameterizedTest
  @ValueSource(strings = {"binary", "compact"})
  void clientsShareAnUpstreamConnection(String protocol) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<String>>> runs = new ArrayList<>();
      for (String who : List.of("ann", "bob")) {
        List<String> calls = IntStream.range(0, 300).mapToObj(i -> "echo:" + who + i).toList();
        String client = who.equals("ann") ? "python" : "go";
        runs.add(pool.submit(() -> call(client, "plain", "header", protocol, calls)));
      }
      for (int c = 0; c < 2; c++) {
        String who = c == 0 ? "ann" : "bob";
        assertThat(runs.get(c).get(200, TimeUnit.SECONDS)).containsExactlyElementsOf(
            IntStream.range(0, 300).mapToObj(i -> "echo:" + who + i + " -> py:" + who + i).toList());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Compact without THeader, framed and unframed, from both libraries (docs/thrift.md's table). */
  @ParameterizedTest
  @CsvSource({"python, framed", "python, unframed", "go, framed", "go, unframed"})
  void compactWithoutTHeader(String client, String transport) throws Exception {
    String note = client + "-compact-" + transport;
    List<String> calls = List.of("echo:c", "fail:3", "note:" + note, "add:40:2");
    assertThat(call(client, "plain", transport, "compact", calls)).containsExactly("echo:c -> py:c", "fail:3 -> EchoFailure 3 py failed with 3",
        "note:" + note + " -> sent", "add:40:2 -> 42");
    assertNoted(note);
  }

  /**
   * The Go library's oneway call is a CALL that the server never answers: with the method in
   * {@code oneway_methods} the calls after it are answered at once, in order (without it, the
   * proxy would wait for the missing reply and hold theirs until the route's timeout).
   */
  @Test
  void goOnewayCallsDoNotHoldLaterReplies() throws Exception {
    List<String> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      calls.add("note:go-oneway-" + i);
      calls.add("echo:after-" + i);
    }
    List<String> out = call("go", "plain", "framed", "binary", calls);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      expected.add("note:go-oneway-" + i + " -> sent");
      expected.add("echo:after-" + i + " -> py:after-" + i);
    }
    assertThat(out).containsExactlyElementsOf(expected);
    assertNoted("go-oneway-19");
  }
}

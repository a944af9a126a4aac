package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.server.Proxy;
import io.protean.proxy.codec.thrift.gen.Echo;
import io.protean.proxy.codec.thrift.gen.EchoFailure;
import io.protean.proxy.codec.thrift.gen.Inner;
import io.protean.proxy.codec.thrift.gen.Payload;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TMultiplexedProcessor;
import org.apache.thrift.TProcessor;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TMultiplexedProtocol;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadPoolServer;
import org.apache.thrift.server.TThreadedSelectorServer;
import org.apache.thrift.transport.TNonblockingServerSocket;
import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TServerTransport;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The proxy between libthrift 0.20's own generated sync clients and {@link TThreadedSelectorServer}s,
 * framed transport and binary protocol (seq ids rewritten in place, so many clients share one
 * upstream connection), plus one unframed {@link TThreadPoolServer}: routing by method and by multiplexed service, declared
 * exceptions, one-way calls, concurrency, and the errors a client meets, each a
 * TApplicationException, never a hang.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThriftEndToEndTest {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private EchoServer a;
  private EchoServer b;
  private EchoServer mux;
  private EchoServer dying;
  private EchoServer unframed;
  private EchoServer compact;
  private Proxy proxy;

  @BeforeAll
  void start() throws Exception {
    a = server("a", false);
    b = server("b", false);
    mux = server("mux", true);
    dying = server("dying", false);
    unframed = server("unframed", false, false);
    compact = server("compact", false, true, true);
    String yaml = """
        workers: 2
        listeners:
          - name: thrift
            address: 127.0.0.1:0
            codec: %s
            routes:
              - name: calc
                match: {metadata: [{key: service, exact: Calc}]}
                cluster: mux
              - name: add-to-b
                match: {metadata: [{key: method, exact: add}]}
                cluster: b
              - name: slow-to-dying
                match: {metadata: [{key: method, exact: slow}]}
                cluster: dying
                timeout: 20s
              - cluster: a
          - name: unframed
            address: 127.0.0.1:0
            codec: {thrift: {transport: unframed}}
            routes:
              - cluster: unframed
          - name: narrow
            address: 127.0.0.1:0
            codec: %s
            routes:
              - match: {metadata: [{key: method, exact: add}]}
                cluster: b
          - name: compact
            address: 127.0.0.1:0
            codec: {thrift: {protocol: compact}}
            routes:
              - cluster: compact
        clusters:
          - {name: a, endpoints: ["127.0.0.1:%d"]}
          - {name: b, endpoints: ["127.0.0.1:%d"]}
          - {name: mux, endpoints: ["127.0.0.1:%d"]}
          - {name: dying, endpoints: ["127.0.0.1:%d"]}
          - {name: unframed, endpoints: ["127.0.0.1:%d"]}
          - {name: compact, endpoints: ["127.0.0.1:%d"]}
        """.formatted(framedCodec(), narrowCodec(), a.port(), b.port(), mux.port(), dying.port(),
        unframed.port(), compact.port());
    proxy = Proxy.start(Proxy.configLoader().parse(yaml));
    closeables.add(proxy);
  }

  /** The codec of the framed listener {@code thrift}, which detects the protocol. */
  String framedCodec() {
    return "thrift";
  }

  /** The codec of the listener {@code narrow}, which takes framed binary only. */
  String narrowCodec() {
    return "{thrift: {transport: framed, protocol: binary}}";
  }

  @AfterAll
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private EchoServer server(String name, boolean multiplexed) throws Exception {
    return server(name, multiplexed, true);
  }

  private EchoServer server(String name, boolean multiplexed, boolean framed) throws Exception {
    return server(name, multiplexed, framed, false);
  }

  private EchoServer server(String name, boolean multiplexed, boolean framed, boolean compact)
      throws Exception {
    EchoServer s = new EchoServer(name, multiplexed, framed, compact);
    closeables.add(s);
    return s;
  }

  /** A generated sync client through the proxy's {@code listener}; closed with the class. */
  Echo.Client client(String listener, String service) throws Exception {
    TTransport socket = new TSocket("127.0.0.1", proxy.listenerAddress(listener).getPort(), 15_000);
    TTransport transport = listener.equals("unframed") ? socket : new TFramedTransport(socket);
    transport.open();
    closeables.add(transport::close);
    TProtocol protocol = new TBinaryProtocol(transport);
    return new Echo.Client(service == null ? protocol : new TMultiplexedProtocol(protocol, service));
  }

  @Test
  void plainCallsReachTheDefaultRoute() throws Exception {
    Echo.Client client = client("thrift", null);
    assertThat(client.echo("hi")).isEqualTo("a:hi");
    assertThat(client.echo("again")).isEqualTo("a:again");
    Payload payload = new Payload().setText("struct").setNames(List.of("x", "y"));
    assertThat(client.roundTrip(payload)).isEqualTo(payload);
  }

  @Test
  void routesByMethodToAnotherServer() throws Exception {
    Echo.Client client = client("thrift", null);
    assertThat(client.add(2, 3)).isEqualTo(5);
    assertThat(b.calls).contains("add");
    assertThat(a.calls).doesNotContain("add");
    assertThat(client.echo("after")).isEqualTo("a:after");
  }

  @Test
  void declaredExceptionsPassThrough() throws Exception {
    Echo.Client client = client("thrift", null);
    assertThatThrownBy(() -> client.fail(42)).isInstanceOf(EchoFailure.class)
        .satisfies(t -> assertThat(((EchoFailure) t).getCode()).isEqualTo(42))
        .satisfies(t -> assertThat(((EchoFailure) t).getReason()).isEqualTo("a failed with 42"));
    assertThat(client.echo("still")).isEqualTo("a:still");
  }

  @Test
  void onewayCallsArrive() throws Exception {
    Echo.Client client = client("thrift", null);
    String note = "note-" + System.nanoTime();
    client.note(note);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!a.notes.contains(note) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(a.notes).contains(note);
    assertThat(client.echo("after note")).isEqualTo("a:after note");
  }

  @Test
  void concurrentClientsGetTheirOwnAnswers() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (String who : List.of("ann", "bob")) {
        Echo.Client client = client("thrift", null);
        results.add(pool.submit(() -> {
          List<String> answers = new ArrayList<>();
          for (int i = 0; i < 100; i++) {
            answers.add(client.echo(who + i));
          }
          return answers;
        }));
      }
      for (int c = 0; c < 2; c++) {
        String who = c == 0 ? "ann" : "bob";
        List<String> answers = results.get(c).get(60, TimeUnit.SECONDS);
        for (int i = 0; i < 100; i++) {
          assertThat(answers.get(i)).isEqualTo("a:" + who + i);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void multiplexedCallsRouteByService() throws Exception {
    Echo.Client calc = client("thrift", "Calc");
    assertThat(calc.echo("mx")).isEqualTo("mux:mx");
    // Routing by service wins over the method route for add.
    assertThat(calc.add(1, 2)).isEqualTo(3);
    assertThat(mux.calls).contains("add");
  }

  @Test
  void noRouteIsATApplicationExceptionFromTheProxy() throws Exception {
    Echo.Client client = client("narrow", null);
    assertThatThrownBy(() -> client.echo("lost")).isInstanceOf(TApplicationException.class)
        .hasMessageContaining("protean: no route matches").hasMessageContaining("echo")
        .satisfies(t -> assertThat(((TApplicationException) t).getType())
            .isEqualTo(TApplicationException.UNKNOWN_METHOD));
    // The connection stays usable.
    assertThat(client.add(20, 22)).isEqualTo(42);
  }

  @Test
  void unframedCallsFindTheirEndWithTheSkipper() throws Exception {
    Echo.Client client = client("unframed", null);
    assertThat(client.echo("raw")).isEqualTo("unframed:raw");
    Payload payload = new Payload().setText("x".repeat(1 << 20)).setNames(List.of("a", "b"))
        .setCounts(Map.of("k", 1)).setIds(Set.of(1L, 2L))
        .setInner(new Inner(1, List.of(
            new Inner(2, List.of()))));
    assertThat(client.roundTrip(payload)).isEqualTo(payload);
    assertThatThrownBy(() -> client.fail(3)).isInstanceOf(EchoFailure.class);
    client.note("unframed-note");
    assertThat(client.add(1, 2)).isEqualTo(3);
    assertThat(unframed.notes).contains("unframed-note");
  }

  /** A generated client speaking framed compact to {@code listener}. */
  Echo.Client compactClient(String listener) throws Exception {
    TTransport transport = new TFramedTransport(new TSocket("127.0.0.1",
        proxy.listenerAddress(listener).getPort(), 15_000));
    transport.open();
    closeables.add(transport::close);
    return new Echo.Client(new TCompactProtocol(transport));
  }

  /**
   * Compact clients (TCompactProtocol over framed, served by a compact TThreadedSelectorServer):
   * the seq id is a varint, re-encoded with the upstream id and back, so two clients share the
   * proxy's upstream connection like binary ones.
   */
  @Test
  void compactCallsShareUpstreamConnections() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<List<String>>> results = new ArrayList<>();
      for (String who : List.of("cara", "dan")) {
        Echo.Client client = compactClient("compact");
        results.add(pool.submit(() -> {
          List<String> answers = new ArrayList<>();
          // Past 127 and 16383 the varint seq ids grow: 300 calls cross the first boundary.
          for (int i = 0; i < 300; i++) {
            answers.add(client.echo(who + i));
          }
          answers.add(String.valueOf(client.add(40, 2)));
          return answers;
        }));
      }
      for (int c = 0; c < 2; c++) {
        String who = c == 0 ? "cara" : "dan";
        List<String> answers = results.get(c).get(60, TimeUnit.SECONDS);
        for (int i = 0; i < 300; i++) {
          assertThat(answers.get(i)).isEqualTo("compact:" + who + i);
        }
        assertThat(answers.get(300)).isEqualTo("42");
      }
    } finally {
      pool.shutdownNow();
    }
    Echo.Client client = compactClient("compact");
    assertThatThrownBy(() -> client.fail(7)).isInstanceOf(EchoFailure.class);
    client.note("compact-note");
    assertThat(client.echo("after")).isEqualTo("compact:after");
    assertThat(compact.notes).contains("compact-note");
  }

  @Test
  void serverStoppedMidCallIsATApplicationException() throws Exception {
    Echo.Client client = client("thrift", null);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      // Well inside the route's 20 s timeout: the answer must come from the closed connection.
      Future<String> call = caller.submit(() -> client.slow(5_000));
      assertThat(dying.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
      dying.close();
      assertThatThrownBy(() -> call.get(15, TimeUnit.SECONDS))
          .hasCauseInstanceOf(TApplicationException.class)
          .hasMessageContaining("protean: upstream 127.0.0.1:" + dying.port())
          .hasMessageContaining("closed the connection");
    } finally {
      caller.shutdownNow();
    }
  }
}

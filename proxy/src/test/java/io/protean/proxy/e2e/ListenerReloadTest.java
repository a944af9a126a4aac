package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.codec.thrift.gen.Echo;
import io.protean.proxy.server.Proxy;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.transport.TTransportException;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listeners removed, moved and drained by a reload, with libthrift clients: a removed listener
 * stops accepting and its calls in flight finish; past {@code drain_timeout} the calls still in
 * flight get the codec's error and its connections close; a changed address is a new listener plus a drained old one. And {@code --watch}, and
 * {@code /clusters}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ListenerReloadTest {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Path file;
  private Proxy proxy;
  private AdminClient admin;
  private EchoServer server;
  private final int portA = Ports.free();
  private final int portB = Ports.free();

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    server = new EchoServer("s", false, true, false);
    closeables.add(server);
    file = dir.resolve("protean.yaml");
    Files.writeString(file, yaml(portA, true, "5s"));
    proxy = Proxy.start(file);
    admin = new AdminClient(proxy.adminAddress());
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private String yaml(int port, boolean withA, String drain) {
    StringBuilder y = new StringBuilder("workers: 1\nadmin: {address: \"127.0.0.1:0\"}\nlisteners:\n");
    y.append("  - {name: keep, address: \"127.0.0.1:0\", codec: thrift, routes: [{cluster: s}]}\n");
    if (withA) {
      y.append("  - {name: a, address: \"127.0.0.1:").append(port).append("\", codec: thrift, ")
          .append("drain_timeout: ").append(drain).append(", routes: [{cluster: s}]}\n");
    }
    y.append("clusters:\n  - {name: s, endpoints: [\"127.0.0.1:").append(server.port()).append("\"]}\n");
    y.append("  - {name: spare, endpoints: [\"127.0.0.1:1\"]}\n");
    return y.toString();
  }

  private Echo.Client client(int port) throws Exception {
    TTransport t = new TFramedTransport(new TSocket("127.0.0.1", port, 20_000));
    t.open();
    closeables.add(t::close);
    return new Echo.Client(new TBinaryProtocol(t));
  }

  private void reload(String yaml) throws Exception {
    Files.writeString(file, yaml);
    assertThat(admin.post("/reload").body()).contains("\"result\" : \"applied\"");
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (ConnectException e) {
      return false;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aRemovedListenerStopsAcceptingAndLetsItsCallsFinish() throws Exception {
    Echo.Client c = client(portA);
    assertThat(c.echo("before")).isEqualTo("s:before");
    CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
      try {
        return c.slow(1000);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    server.slowStarted.await(5, TimeUnit.SECONDS);
    reload(yaml(portA, false, "5s"));
    assertThat(accepts(portA)).as("the removed listener's port accepts").isFalse();
    assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("s slept 1000");
    // Once quiet (no request for 200 ms), the drained connection is closed.
    Thread.sleep(600);
    assertThatThrownBy(() -> c.echo("after")).isInstanceOf(TTransportException.class);
    assertThat(client(proxy.listenerAddress("keep").getPort()).echo("other")).isEqualTo("s:other");
  }

  @Test
  void pastItsDrainTimeoutAConnectionIsClosed() throws Exception {
    reload(yaml(portA, true, "300ms"));
    Echo.Client c = client(portA);
    CompletableFuture<Throwable> slow = CompletableFuture.supplyAsync(() -> {
      try {
        c.slow(5000);
        return null;
      } catch (Exception e) {
        return e;
      }
    });
    server.slowStarted.await(5, TimeUnit.SECONDS);
    long start = System.nanoTime();
    reload(yaml(portA, false, "300ms"));
    // The call still in flight is answered with the codec's error, then the connection closes.
    assertThat(slow.get(10, TimeUnit.SECONDS)).isInstanceOf(TApplicationException.class)
        .hasMessageContaining("drain_timeout passed");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    assertThatThrownBy(() -> c.echo("closed")).isInstanceOf(TTransportException.class);
  }

  @Test
  void aChangedAddressIsANewListenerAndTheOldOneDrains() throws Exception {
    Echo.Client old = client(portA);
    assertThat(old.echo("a")).isEqualTo("s:a");
    reload(yaml(portB, true, "5s"));
    assertThat(proxy.listenerAddress("a").getPort()).isEqualTo(portB);
    assertThat(client(portB).echo("b")).isEqualTo("s:b");
    assertThat(accepts(portA)).isFalse();
    Thread.sleep(600); // quiet for 200 ms: closed
    assertThatThrownBy(() -> old.echo("quiet, so closed")).isInstanceOf(TTransportException.class);
  }

  @Test
  void watchReloadsWhenTheFileChanges() throws Exception {
    proxy.watch(Duration.ofMillis(100));
    Files.writeString(file, yaml(portA, false, "5s"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (proxy.version() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(proxy.version()).isEqualTo(2);
    assertThat(accepts(portA)).isFalse();
    // A broken save is refused and named; the running version stays.
    Files.writeString(file, "listeners: [");
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (proxy.lastRefused() == null && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(proxy.lastRefused()).isNotNull();
    assertThat(proxy.lastRefused().field()).startsWith("line 1, column");
    assertThat(proxy.version()).isEqualTo(2);
  }

  @Test
  void clustersListsEveryClusterAndEndpoint() throws Exception {
    assertThat(client(portA).echo("x")).isEqualTo("s:x");
    String text = admin.get("/clusters");
    assertThat(text).contains("s codec=thrift lb=round_robin requests=1")
        .contains("  127.0.0.1:" + server.port() + " health=healthy connections=1 active_requests=0 requests=1 errors=0")
        .contains("spare codec=thrift");
    String json = admin.get("/clusters?format=json");
    assertThat(json).contains("\"name\" : \"spare\"").contains("\"address\" : \"127.0.0.1:1\"");
    assertThat(admin.post("/clusters").status()).isEqualTo(405);
    assertThat(admin.post("/nowhere").status()).isEqualTo(404);
    assertThat(admin.get("/")).contains("POST /reload").contains("GET /clusters");
  }
}

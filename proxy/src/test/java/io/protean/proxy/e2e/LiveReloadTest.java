package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.server.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration changes under live traffic: 16 real clients call for the whole test while
 * the YAML file is rewritten and reloaded through {@code POST /reload} 20 times — route order
 * flipped, a cluster added and removed, an endpoint added and removed, a filter added and removed
 * (and, where the protocol has one here, the Wasm codec module replaced). No call may fail, the
 * proxy may close no connection, and every change must show in the answers within 1 s. Then ten
 * kinds of invalid reload are each refused, naming the field, and change nothing.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class LiveReloadTest {
  static final int CLIENTS = 16;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<Caller> callers = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final AtomicReference<ConcurrentLinkedQueue<Answer>> answers =
      new AtomicReference<>(new ConcurrentLinkedQueue<>());
  /** Upstream servers by name (u1..u5), their ports. */
  final Map<String, Integer> upstreams = new java.util.LinkedHashMap<>();
  Path dir;
  Path file;
  Proxy proxy;
  AdminClient admin;
  private volatile boolean running = true;
  private State current = State.BASE;

  // ---- what a protocol's subclass provides ----

  /** Starts an upstream server answering as {@code name}; returns its port. */
  abstract int startUpstream(String name, List<AutoCloseable> closeables) throws Exception;

  /** The {@code codec:} of the main listener. */
  abstract String codec();

  /** A metadata condition every test call meets (so a route with it takes them all). */
  abstract String everyCall();

  /** A client of listener {@code listener} (closed by the test); each call names the server. */
  abstract Call client(String listener, List<AutoCloseable> closeables) throws Exception;

  /** Listeners and clusters beyond the main one (YAML list items), or "". */
  String extraListeners() {
    return "";
  }

  String extraClusters() {
    return "";
  }

  /**
   * The filter the filter steps add: by default one that sets {@code x-lane: green}, which a
   * route sends to the {@code green} cluster.
   */
  String filter() {
    return "{set_metadata: {set: {x-lane: green}}}";
  }

  /** Whether the filter moves the calls to {@code green} (else {@link #checkFilter} shows it). */
  boolean filterReroutes() {
    return true;
  }

  /** Checks, within 1 s of the reload, that the filter is ({@code on}) or is no longer in the chain. */
  void checkFilter(boolean on) throws Exception {}

  /** Runs once the proxy is up, before the clients start. */
  void started(List<AutoCloseable> closeables) throws Exception {}

  /** Clients on the extra listeners (their answers are not checked, only that none fails). */
  int extraClients() {
    return 0;
  }

  /** The reloads after the 16 common ones, as actions run before rewriting the file. */
  List<Runnable> extraChanges() {
    return List.of();
  }

  /** Checks, within 1 s of the reload, that an extra change took effect. */
  void awaitExtraChange(int index, long before) throws Exception {}

  /** A figure the extra changes move (taken before each), or 0. */
  long extraFigure() {
    return 0;
  }

  @FunctionalInterface
  interface Call {
    /** One call; returns the name of the server that answered. */
    String call() throws Exception;
  }

  // ---- the configuration ----

  /** One state of the configuration; {@link #yaml} renders it. */
  record State(boolean flipped, boolean extraCluster, boolean extraEndpoint, boolean filter) {
    static final State BASE = new State(false, false, false, false);

    State change(int kind) {
      return switch (kind) {
        case 0 -> new State(!flipped, extraCluster, extraEndpoint, filter);
        case 1 -> new State(flipped, !extraCluster, extraEndpoint, filter);
        case 2 -> new State(flipped, extraCluster, !extraEndpoint, filter);
        default -> new State(flipped, extraCluster, extraEndpoint, !filter);
      };
    }

    /** The servers that must answer in this state, when the filter reroutes or not. */
    Set<String> expected(boolean filterReroutes) {
      if (filter && filterReroutes) {
        return Set.of("u5");
      }
      if (extraCluster) {
        return Set.of("u3");
      }
      if (flipped) {
        return Set.of("u2");
      }
      return extraEndpoint ? Set.of("u1", "u4") : Set.of("u1");
    }
  }

  String yaml(State s) {
    List<String> routes = new ArrayList<>();
    if (s.filter) {
      routes.add("{name: lane, match: {metadata: [{key: x-lane, exact: green}]}, cluster: green}");
    }
    if (s.extraCluster) {
      routes.add("{name: extra, match: {metadata: [" + everyCall() + "]}, cluster: extra}");
    }
    String first = "{name: first, match: {metadata: [" + everyCall() + "]}, cluster: c1}";
    String rest = "{name: rest, cluster: c2}";
    routes.addAll(s.flipped ? List.of(rest, first) : List.of(first, rest));
    StringBuilder y = new StringBuilder("workers: 2\nadmin: {address: \"127.0.0.1:0\"}\n")
        .append("listeners:\n  - name: main\n    address: 127.0.0.1:0\n    codec: ")
        .append(codec()).append('\n');
    if (s.filter) {
      y.append("    filters: [").append(filter()).append("]\n");
    }
    y.append("    routes:\n");
    routes.forEach(r -> y.append("      - ").append(r).append('\n'));
    y.append(extraListeners());
    y.append("clusters:\n");
    y.append("  - {name: c1, endpoints: [").append(ep("u1"))
        .append(s.extraEndpoint ? ", " + ep("u4") : "").append("]}\n");
    y.append("  - {name: c2, endpoints: [").append(ep("u2")).append("]}\n");
    // No route names it in most states: it stands alone, with its protocol given.
    y.append("  - {name: green, codec: ").append(codec()).append(", endpoints: [")
        .append(ep("u5")).append("]}\n");
    if (s.extraCluster) {
      y.append("  - {name: extra, endpoints: [").append(ep("u3")).append("]}\n");
    }
    y.append(extraClusters());
    return y.toString();
  }

  String ep(String upstream) {
    return "\"127.0.0.1:" + upstreams.get(upstream) + "\"";
  }

  // ---- the traffic ----

  record Answer(int caller, long startNanos, String server) {}

  private final class Caller implements Runnable {
    final int id;
    final Call call;
    final boolean checked;
    long calls;

    Caller(int id, Call call, boolean checked) {
      this.id = id;
      this.call = call;
      this.checked = checked;
    }

    @Override
    public void run() {
      while (running) {
        long start = System.nanoTime();
        try {
          String server = call.call();
          calls++;
          if (checked) {
            answers.get().add(new Answer(id, start, server));
          }
        } catch (Exception e) {
          if (running) {
            failures.add("client " + id + ": " + e);
          }
        }
      }
    }
  }

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    this.dir = dir;
    for (String u : List.of("u1", "u2", "u3", "u4", "u5")) {
      upstreams.put(u, startUpstream(u, closeables));
    }
    file = dir.resolve("protean.yaml");
    Files.writeString(file, yaml(State.BASE));
    proxy = Proxy.start(file);
    admin = new AdminClient(proxy.adminAddress());
    started(closeables);
    int checked = CLIENTS - extraClients();
    for (int i = 0; i < CLIENTS; i++) {
      boolean main = i < checked;
      callers.add(new Caller(i, client(main ? "main" : "extra", closeables), main));
    }
    for (Caller c : callers) {
      Thread t = new Thread(c, "client-" + c.id);
      t.setDaemon(true);
      t.start();
    }
  }

  @AfterAll
  void stop() throws Exception {
    running = false;
    Thread.sleep(300);
    if (proxy != null) {
      proxy.close();
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  @Order(1)
  void twentyReloadsUnderLoadLoseNothing() throws Exception {
    awaitAnswers(State.BASE);
    long acceptedBefore = accepted();
    State s = State.BASE;
    List<Runnable> extra = extraChanges();
    int common = 20 - extra.size();
    for (int i = 0; i < 20; i++) {
      long figure = extraFigure();
      if (i < common) {
        s = s.change((i / 2) % 4);
      } else {
        extra.get(i - common).run();
      }
      Files.writeString(file, yaml(s));
      AdminClient.Reply r = admin.post("/reload");
      assertThat(r.status()).as("reload %d: %s", i, r.body()).isEqualTo(200);
      assertThat(r.body()).as("reload %d", i).contains("\"result\" : \"applied\"");
      if (i >= common) {
        awaitExtraChange(i - common, figure);
      } else if ((i / 2) % 4 == 3) {
        checkFilter(s.filter());
      }
      awaitAnswers(s);
      current = s;
    }
    assertThat(failures).as("failed calls").isEmpty();
    assertThat(accepted()).as("connections accepted (one the proxy closed would reconnect)")
        .isEqualTo(acceptedBefore);
    assertThat(admin.sum("protean_listener_downstream_connections", "listener="))
        .as("open connections").isEqualTo(acceptedBefore);
    assertThat(callers).allSatisfy(c -> assertThat(c.calls).isPositive());
    // Endpoint changes kept the connections to u1: c1 connected once per loop to u1, and to u4
    // each time u4 was added (twice), never again to u1.
    assertThat(admin.counter("protean_cluster_upstream_connects_total{cluster=\"c1\"}"))
        .as("connects to c1").isBetween(2L, 6L);
    // Removed endpoints and clusters drained: their idle connections are closed.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while ((admin.counter("protean_cluster_upstream_connections{cluster=\"extra\"}") > 0
        || admin.counter("protean_cluster_upstream_connections{cluster=\"c1\"}") > 2)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(admin.counter("protean_cluster_upstream_connections{cluster=\"extra\"}")).isZero();
    assertThat(admin.counter("protean_cluster_upstream_connections{cluster=\"c1\"}")).isLessThanOrEqualTo(2);
    assertThat(admin.get("/clusters")).doesNotContain("extra").contains("green");
    assertThat(admin.counter("protean_config_reloads_total{result=\"applied\"}")).isEqualTo(20);
    assertThat(admin.counter("protean_config_version")).isEqualTo(21);
  }

  /** A broken configuration and the field its refusal must name. */
  record Invalid(String what, java.util.function.UnaryOperator<String> edit, String field) {}

  @Test
  @Order(2)
  void invalidReloadsAreRefusedAndChangeNothing() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      String valid = yaml(current);
      int clusters = proxy.config().clusters().size();
      String newListener = "  - {name: more, address: \"127.0.0.1:%d\", codec: " + codec()
          + ", routes: [{cluster: c1}]}\nclusters:\n";
      List<Invalid> cases = List.of(
          new Invalid("not YAML", y -> y.replace("listeners:", "listeners: [ {"), "line "),
          new Invalid("unknown field", y -> y + "  - {name: c9, endpoints: [" + ep("u1")
              + "], bogus: 1}\n", "clusters[" + clusters + "].bogus"),
          new Invalid("route to a missing cluster", y -> y.replace("cluster: c2}", "cluster: nope}"),
              "listeners[0].routes[" + routeIndex("rest") + "].cluster"),
          new Invalid("duplicate cluster", y -> y + "  - {name: c1, endpoints: [" + ep("u1") + "]}\n",
              "clusters[" + clusters + "].name"),
          new Invalid("endpoint without a port number", y -> y + "  - {name: c9, endpoints: "
              + "[\"127.0.0.1:http\"]}\n", "clusters[" + clusters + "].endpoints[0]"),
          new Invalid("workers changed", y -> y.replace("workers: 2", "workers: 3"), "workers"),
          new Invalid("bad regex", y -> y.replace("{name: rest, cluster: c2}",
              "{name: rest, match: {metadata: [{key: method, regex: \"(\"}]}, cluster: c2}"),
              "listeners[0].routes[" + routeIndex("rest") + "].match.metadata[0].regex"),
          new Invalid("unknown filter", y -> y.replace("    routes:\n",
              "    filters: [{nosuch: {}}]\n    routes:\n").replaceFirst("    filters: \\[\\{set_metadata[^\n]*\n", ""),
              "listeners[0].filters[0]"),
          new Invalid("address in use", y -> y.replace("clusters:\n",
              newListener.formatted(taken.getLocalPort())), "listeners[" + proxy.config().listeners().size() + "].address"),
          new Invalid("Wasm module missing", y -> y + "  - {name: c9, codec: {wasm: {module: "
              + dir.resolve("missing.wasm") + "}}, endpoints: [" + ep("u1") + "]}\n",
              "clusters[" + clusters + "].codec.wasm"));
      long version = proxy.version();
      long refusedBefore = admin.counter("protean_config_reloads_total{result=\"refused\"}");
      for (Invalid c : cases) {
        Files.writeString(file, c.edit.apply(valid));
        AdminClient.Reply r = admin.post("/reload");
        assertThat(r.status()).as("%s: %s", c.what, r.body()).isEqualTo(422);
        assertThat(r.body()).as(c.what).contains("\"result\" : \"refused\"")
            .contains("\"field\" : \"" + c.field);
        assertThat(admin.get("/config_dump")).as(c.what).contains("\"field\" : \"" + c.field)
            .contains("\"version\" : " + version);
        awaitAnswers(current);
      }
      assertThat(admin.counter("protean_config_reloads_total{result=\"refused\"}"))
          .isEqualTo(refusedBefore + cases.size());
      Files.writeString(file, valid);
      assertThat(admin.post("/reload").body()).contains("\"result\" : \"unchanged\"");
      assertThat(proxy.version()).isEqualTo(version);
      assertThat(failures).as("failed calls").isEmpty();
    }
  }

  private int routeIndex(String name) {
    List<String> names = proxy.config().listeners().get(0).routes().stream()
        .map(io.protean.proxy.config.model.ProxyConfig.RouteConfig::name).toList();
    return names.indexOf(name);
  }

  private long accepted() {
    return admin.sum("protean_listener_downstream_connections_total", "listener=");
  }

  /**
   * Within 1 s, every checked client gets an answer to a call it started after the reload, and
   * every such answer comes from the servers {@code s} routes to (all of them).
   */
  void awaitAnswers(State s) throws InterruptedException {
    Set<String> want = s.expected(filterReroutes());
    long since = System.nanoTime();
    ConcurrentLinkedQueue<Answer> q = new ConcurrentLinkedQueue<>();
    answers.set(q);
    long deadline = since + TimeUnit.SECONDS.toNanos(1);
    int clients = CLIENTS - extraClients();
    Set<Integer> answered = new HashSet<>();
    Set<String> seen = new HashSet<>();
    List<Answer> wrong = new ArrayList<>();
    while (true) {
      answered.clear();
      seen.clear();
      for (Answer a : q) {
        if (a.startNanos - since < 0) {
          continue; // started before the change
        }
        answered.add(a.caller);
        seen.add(a.server);
        if (!want.contains(a.server)) {
          wrong.add(a);
        }
      }
      if (answered.size() == clients && seen.equals(want) || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(20);
    }
    assertThat(wrong).as("answers from the wrong server after %s", s).isEmpty();
    assertThat(answered).as("clients answered within 1 s of %s (failures: %s)", s,
        failures.stream().limit(3).toList()).hasSize(clients);
    assertThat(seen).as("servers seen within 1 s of %s", s).isEqualTo(want);
  }
}

package io.protean.proxy.e2e;

import static io.protean.proxy.e2e.XdsControlPlane.dubboListener;
import static io.protean.proxy.e2e.XdsControlPlane.edsCluster;
import static io.protean.proxy.e2e.XdsControlPlane.endpoints;
import static io.protean.proxy.e2e.XdsControlPlane.routes;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.config.xds.EnvoyResources;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy driven by java-control-plane's own xDS server over ADS: Envoy listeners carrying
 * generic_proxy (Dubbo codec, service and method matchers), EDS clusters; real Dubbo providers
 * and 16 real Dubbo consumers calling all the while. Routes move under load with no failed call
 * and no reconnect; a bad cluster is NACKed with the field named while the old ones serve; the
 * control plane dies and comes back with traffic unaffected.
 */
class XdsEndToEndTest {
  private static final String SERVICE = DemoService.class.getName();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void routesClustersAndEndpointsFollowTheControlPlaneUnderLoad() throws Exception {
    DubboProvider a = add(new DubboProvider("a", Ports.free(), "1.0.0", null));
    DubboProvider b = add(new DubboProvider("b", Ports.free(), "1.0.0", null));
    XdsControlPlane cp = new XdsControlPlane(Ports.free());
    closeables.add(cp);
    int listenPort = Ports.free();
    List<Cluster> clusters = List.of(edsCluster("c-a"), edsCluster("c-b"));
    var eps = List.of(endpoints("c-a", a.port()), endpoints("c-b", b.port()));
    cp.push("1", clusters, eps, List.of(dubboListener("mesh", listenPort,
        routes(SERVICE, "greet", "c-b", "c-a"))));

    Proxy proxy = add(Proxy.start(Proxy.configLoader().parse("""
        workers: 2
        admin: {address: "127.0.0.1:0"}
        node: {id: sidecar-1, cluster: test}
        xds:
          servers: ["127.0.0.1:%d"]
          resources: [listeners, clusters]
        """.formatted(cp.port()))));
    await("the xDS listener is served", () -> proxy.config().listener("mesh") != null);
    await("/ready once every type has arrived", proxy::ready);
    AdminClient admin = new AdminClient(proxy.adminAddress());

    List<DubboConsumer> consumers = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      consumers.add(add(new DubboConsumer(listenPort, "1.0.0", null, 10_000)));
    }
    DemoService first = consumers.get(0).service();
    assertThat(first.slow(0)).startsWith("a ");
    assertThat(first.greet("x")).endsWith("from b");

    Map<String, AtomicLong> repliedBy = new ConcurrentHashMap<>();
    AtomicLong failures = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> callers = new ArrayList<>();
    for (DubboConsumer c : consumers) {
      Thread t = new Thread(() -> {
        while (running.get()) {
          try {
            String reply = c.service().slow(0);
            repliedBy.computeIfAbsent(reply.substring(0, 1), k -> new AtomicLong()).incrementAndGet();
          } catch (RuntimeException e) {
            failures.incrementAndGet();
          }
        }
      });
      t.start();
      callers.add(t);
    }
    try {
      await("calls flow", () -> repliedBy.getOrDefault("a", new AtomicLong()).get() > 200);
      long accepted = admin.sum("protean_listener_downstream_connections_total", "mesh");
      assertThat(accepted).as("the consumers' connections, counted").isGreaterThanOrEqualTo(16);

      // The route moves to c-b, under load.
      cp.push("2", clusters, eps, List.of(dubboListener("mesh", listenPort,
          routes(SERVICE, "greet", "c-b", "c-b"))));
      await("calls reach b", () -> repliedBy.getOrDefault("b", new AtomicLong()).get() > 200);

      // An endpoint moves: c-b's endpoint becomes a (EDS only).
      cp.push("3", clusters, List.of(endpoints("c-a", a.port()), endpoints("c-b", a.port())),
          List.of(dubboListener("mesh", listenPort, routes(SERVICE, "greet", "c-b", "c-b"))));
      await("calls reach a through c-b's new endpoint", () -> {
        repliedBy.clear();
        sleep(200);
        return repliedBy.getOrDefault("b", new AtomicLong()).get() == 0
            && repliedBy.getOrDefault("a", new AtomicLong()).get() > 0;
      });

      // A cluster with an lb policy Protean does not have: NACKed naming the field; the
      // running resources keep serving.
      Cluster bad = edsCluster("c-bad").toBuilder().setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
          .build();
      cp.push("4", List.of(edsCluster("c-a"), edsCluster("c-b"), bad),
          List.of(endpoints("c-a", a.port()), endpoints("c-b", a.port()), endpoints("c-bad", b.port())),
          List.of(dubboListener("mesh", listenPort, routes(SERVICE, "greet", "c-bad", "c-b"))));
      await("the bad cluster is NACKed", () -> {
        DiscoveryRequest r = cp.last(EnvoyResources.CLUSTER);
        return r != null && r.hasErrorDetail();
      });
      DiscoveryRequest nack = cp.last(EnvoyResources.CLUSTER);
      assertThat(nack.getErrorDetail().getMessage()).contains("Cluster 'c-bad' lb_policy")
          .contains("CLUSTER_PROVIDED");
      assertThat(nack.getVersionInfo()).as("a NACK names the version still running").isEqualTo("3");
      assertThat(first.greet("y")).as("the old routes still serve").endsWith("from a");

      // The control plane dies: traffic goes on; it comes back with a new version.
      cp.stop();
      long before = repliedBy.values().stream().mapToLong(AtomicLong::get).sum();
      await("traffic goes on without the control plane",
          () -> repliedBy.values().stream().mapToLong(AtomicLong::get).sum() > before + 500);
      repliedBy.clear();
      cp.push("5", clusters, eps, List.of(dubboListener("mesh", listenPort,
          routes(SERVICE, "greet", "c-a", "c-b"))));
      cp.start();
      await("the proxy reconnects and follows version 5",
          () -> repliedBy.getOrDefault("b", new AtomicLong()).get() > 200);
      assertThat(first.greet("z")).endsWith("from a");

      running.set(false);
      for (Thread t : callers) {
        t.join(10_000);
      }
      assertThat(failures.get()).as("failed calls").isZero();
      assertThat(admin.sum("protean_listener_downstream_connections_total", "mesh"))
          .as("downstream connections accepted (none was closed and reopened)").isEqualTo(accepted);
    } finally {
      running.set(false);
    }
  }

  private <T extends AutoCloseable> T add(T c) {
    closeables.add(c);
    return c;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

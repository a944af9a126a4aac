package io.protean.proxy.e2e;

import static io.protean.proxy.e2e.XdsControlPlane.dubboListenerRds;
import static io.protean.proxy.e2e.XdsControlPlane.edsCluster;
import static io.protean.proxy.e2e.XdsControlPlane.endpoints;
import static io.protean.proxy.e2e.XdsControlPlane.routes;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.xds.type.matcher.v3.RegexMatcher;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration;
import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy driven by an independent xDS server, go-control-plane, whose linear caches serve
 * generic_proxy's own RouteConfiguration type over RDS (java-control-plane's cache serves only
 * Envoy's HTTP routes): routes arrive by name, change under load with no failed call, and a bad
 * one is NACKed naming the field while the old routes serve; over state-of-the-world and over
 * incremental (delta) xDS.
 */
class XdsGoControlPlaneTest {
  private static final String SERVICE = DemoService.class.getName();

  @TempDir
  Path dir;

  @ParameterizedTest(name = "delta: {0}")
  @ValueSource(booleans = {false, true})
  void genericProxyRoutesOverRdsFromGoControlPlane(boolean delta) throws Exception {
    try (DubboProvider a = new DubboProvider("a", Ports.free(), "1.0.0", null);
        DubboProvider b = new DubboProvider("b", Ports.free(), "1.0.0", null);
        GoControlPlane cp = new GoControlPlane(dir)) {
      int listenPort = Ports.free();
      List<Message> base = List.of(edsCluster("c-a"), edsCluster("c-b"),
          endpoints("c-a", a.port()), endpoints("c-b", b.port()),
          dubboListenerRds("mesh", listenPort, "mesh-routes"));
      cp.push("1", with(base, routes("mesh-routes", SERVICE, "greet", "c-b", "c-a")));
      try (Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
          workers: 2
          admin: {address: "127.0.0.1:0"}
          node: {id: sidecar-go}
          xds:
            servers: ["127.0.0.1:%d"]
            delta: %s
            resources: [listeners, clusters]
          """.formatted(cp.port(), delta)))) {
        await(() -> proxy.ready() && proxy.config().listener("mesh") != null);
        List<DubboConsumer> consumers = new ArrayList<>();
        try {
          for (int i = 0; i < 8; i++) {
            consumers.add(new DubboConsumer(listenPort, "1.0.0", null, 10_000));
          }
          DemoService first = consumers.get(0).service();
          assertThat(first.slow(0)).startsWith("a ");
          assertThat(first.greet("x")).endsWith("from b");

          AtomicLong failures = new AtomicLong();
          AtomicLong fromB = new AtomicLong();
          AtomicBoolean running = new AtomicBoolean(true);
          List<Thread> callers = new ArrayList<>();
          for (DubboConsumer c : consumers) {
            Thread t = new Thread(() -> {
              while (running.get()) {
                try {
                  if (c.service().slow(0).startsWith("b ")) {
                    fromB.incrementAndGet();
                  }
                } catch (RuntimeException e) {
                  failures.incrementAndGet();
                }
              }
            });
            t.start();
            callers.add(t);
          }
          // Only the route configuration changes (RDS): every call goes to c-b.
          cp.push("2", with(base, routes("mesh-routes", SERVICE, "greet", "c-b", "c-b")));
          await(() -> fromB.get() > 200);

          // A regex that does not compile: NACKed naming the field; the routes of version 2 serve.
          RouteConfiguration bad = routes("mesh-routes", SERVICE, "greet", "c-a", "c-a");
          var predicate = bad.getRoutes().getMatcherList().getMatchers(1).getPredicate().toBuilder();
          predicate.getSinglePredicateBuilder().getValueMatchBuilder()
              .setSafeRegex(RegexMatcher.newBuilder().setRegex("io.protean.(["));
          RouteConfiguration.Builder broken = bad.toBuilder();
          broken.getRoutesBuilder().getMatcherListBuilder().getMatchersBuilder(1).setPredicate(predicate);
          cp.push("3", with(base, broken.build()));
          await(() -> !cp.nacks().isEmpty());
          assertThat(cp.nacks().get(0))
              .contains("generic_proxy.v3.RouteConfiguration " + (delta ? "delta " : "2 "))
              .contains("RouteConfiguration 'mesh-routes' routes.matcher_list.matchers[1].predicate"
                  + ".single_predicate.value_match.safe_regex.regex: invalid regex");
          long before = fromB.get();
          await(() -> fromB.get() > before + 200);
          assertThat(first.greet("y")).as("version 2 still serves").endsWith("from b");

          running.set(false);
          for (Thread t : callers) {
            t.join(10_000);
          }
          assertThat(failures.get()).as("failed calls").isZero();
        } finally {
          for (DubboConsumer c : consumers) {
            c.close();
          }
        }
      }
    }
  }

  private static List<Message> with(List<Message> base, Message more) {
    List<Message> all = new ArrayList<>(base);
    all.add(more);
    return all;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("timed out").isNegative();
      Thread.sleep(20);
    }
  }
}

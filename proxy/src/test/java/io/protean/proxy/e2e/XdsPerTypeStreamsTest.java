package io.protean.proxy.e2e;

import static io.protean.proxy.e2e.XdsControlPlane.dubboListener;
import static io.protean.proxy.e2e.XdsControlPlane.edsCluster;
import static io.protean.proxy.e2e.XdsControlPlane.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.FieldMatcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate.SinglePredicate;
import com.github.xds.type.matcher.v3.Matcher.OnMatch;
import com.github.xds.type.matcher.v3.StringMatcher;
import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.action.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.MethodMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The proxy on one stream per type (CDS, EDS, LDS) from java-control-plane, with an update of
 * 200 EDS clusters and a listener of 1,000 routes; the time from the push to the new listener
 * serving is printed (bench-grade figures belong in bench/, this is the order of magnitude).
 */
class XdsPerTypeStreamsTest {

  @Test
  void aThousandRoutesAndTwoHundredClustersOverPerTypeStreams() throws Exception {
    try (DubboProvider a = new DubboProvider("a", Ports.free(), "1.0.0", null);
        XdsControlPlane cp = new XdsControlPlane(Ports.free())) {
      int listenPort = Ports.free();
      cp.push("1", List.of(edsCluster("c0")), List.of(endpoints("c0", a.port())),
          List.of(dubboListener("mesh", listenPort, routes(1))));
      try (Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
          workers: 2
          admin: {address: "127.0.0.1:0"}
          node: {id: sidecar-2}
          xds:
            servers: ["127.0.0.1:%d"]
            ads: false
            resources: [listeners, clusters]
          """.formatted(cp.port())))) {
        await(() -> proxy.ready() && proxy.config().listener("mesh") != null);
        try (DubboConsumer c = new DubboConsumer(listenPort, "1.0.0", null, 10_000)) {
          assertThat(c.service().slow(0)).startsWith("a ");

          List<Cluster> clusters = new ArrayList<>();
          List<ClusterLoadAssignment> eps = new ArrayList<>();
          for (int i = 0; i < 200; i++) {
            clusters.add(edsCluster("c" + i));
            eps.add(endpoints("c" + i, a.port()));
          }
          long start = System.nanoTime();
          cp.push("2", clusters, eps, List.of(dubboListener("mesh", listenPort, routes(1000))));
          await(() -> {
            ListenerConfig l = proxy.config().listener("mesh");
            return l != null && l.routes().size() == 1001;
          });
          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          System.out.printf("xDS update of 200 clusters and 1,000 routes served after %d ms%n", ms);
          assertThat(proxy.config().clusters()).hasSize(200);
          assertThat(c.service().slow(0)).startsWith("a ");
        }
      }
    }
  }

  /** {@code n} routes on method names m0..m(n-1) over the clusters, then a catch-all to c0. */
  private static RouteConfiguration routes(int n) {
    MatcherList.Builder list = MatcherList.newBuilder();
    for (int i = 0; i < n; i++) {
      list.addMatchers(FieldMatcher.newBuilder()
          .setPredicate(Predicate.newBuilder().setSinglePredicate(SinglePredicate.newBuilder()
              .setInput(com.github.xds.core.v3.TypedExtensionConfig.newBuilder().setName("method")
                  .setTypedConfig(Any.pack(MethodMatchInput.getDefaultInstance())))
              .setValueMatch(StringMatcher.newBuilder().setExact("m" + i))))
          .setOnMatch(action("c" + (n == 1 ? 0 : i % 200))));
    }
    return RouteConfiguration.newBuilder().setName("routes")
        .setRoutes(Matcher.newBuilder().setMatcherList(list).setOnNoMatch(action("c0"))).build();
  }

  private static OnMatch action(String cluster) {
    return OnMatch.newBuilder().setAction(com.github.xds.core.v3.TypedExtensionConfig.newBuilder()
        .setName("route").setTypedConfig(Any.pack(RouteAction.newBuilder().setCluster(cluster).build())))
        .build();
  }

  private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("timed out").isNegative();
      Thread.sleep(10);
    }
  }
}

package io.protean.proxy.e2e;

import static io.protean.proxy.e2e.XdsControlPlane.address;
import static io.protean.proxy.e2e.XdsControlPlane.edsCluster;
import static io.protean.proxy.e2e.XdsControlPlane.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.config.xds.aeraki.ApplicationProtocol;
import io.protean.proxy.config.xds.aeraki.Codec;
import io.protean.proxy.config.xds.aeraki.MetaProtocolFilter;
import io.protean.proxy.config.xds.aeraki.MetaProtocolProxy;
import io.protean.proxy.config.xds.aeraki.Rds;
import io.protean.proxy.config.xds.aeraki.route.KeyValue;
import io.protean.proxy.config.xds.aeraki.route.Route;
import io.protean.proxy.config.xds.aeraki.route.RouteAction;
import io.protean.proxy.config.xds.aeraki.route.RouteConfiguration;
import io.protean.proxy.config.xds.aeraki.route.RouteMatch;
import io.protean.proxy.server.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.dubbo.rpc.RpcContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Aeraki's own resources — a listener carrying MetaProtocolProxy and MetaRDS route
 * configurations, as Aeraki's control plane sends them (the protos in src/main/proto are
 * wire-compatible with Aeraki's) — served by go-control-plane, with real Dubbo peers: metadata
 * matching, weighted clusters, request and response mutation, and a NACK naming the field.
 */
class XdsAerakiTest {
  private static final String SERVICE = DemoService.class.getName();

  @TempDir
  Path dir;
  private int listenPort;

  private List<Message> baseOf(DubboProvider a, DubboProvider b) {
    return List.of(edsCluster("c-a"), edsCluster("c-b"), endpoints("c-a", a.port()),
        endpoints("c-b", b.port()), listener("mesh", listenPort));
  }

  @Test
  void metaProtocolListenersAndMetaRdsRoutesDriveTheProxy() throws Exception {
    try (DubboProvider a = new DubboProvider("a", Ports.free(), "1.0.0", null);
        DubboProvider b = new DubboProvider("b", Ports.free(), "1.0.0", null);
        GoControlPlane cp = new GoControlPlane(dir)) {
      listenPort = Ports.free();
      cp.push("1", with(baseOf(a, b), routes(100, 0, "green")));
      try (Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
          workers: 2
          admin: {address: "127.0.0.1:0"}
          node: {id: sidecar-aeraki}
          xds:
            servers: ["127.0.0.1:%d"]
            resources: [listeners, clusters]
          """.formatted(cp.port())))) {
        await(() -> proxy.ready() && proxy.config().listener("mesh") != null);
        DubboConsumer consumer = new DubboConsumer(listenPort, "1.0.0", null, 10_000);
        try {
          check(consumer.service(), a, b, cp);
        } finally {
          consumer.close();
        }
      }
    }
  }

  private void check(DemoService s, DubboProvider a, DubboProvider b, GoControlPlane cp)
      throws Exception {
    List<Message> base = baseOf(a, b);
    // greet: the first route, to c-b, with the route's request and response mutation.
    assertThat(s.greet("x")).endsWith("from b");
    assertThat(b.attachments().get(b.attachments().size() - 1)).containsEntry("x-lane", "green");
    assertThat(RpcContext.getServerContext().getAttachment("x-routed-by")).isEqualTo("protean");
    // Everything else: weighted 100/0 to c-a, without mutation.
    assertThat(s.slow(0)).startsWith("a ");

    cp.push("2", with(base, routes(0, 100, "blue")));
    await(() -> s.slow(0).startsWith("b "));
    assertThat(s.greet("y")).endsWith("from b");
    assertThat(b.attachments().get(b.attachments().size() - 1)).containsEntry("x-lane", "blue");

    // A regex that does not compile: NACKed naming the field; version 2 serves on.
    RouteConfiguration bad = routes(100, 0, "red").toBuilder().setRoutes(0,
        routes(100, 0, "red").getRoutes(0).toBuilder().setMatch(RouteMatch.newBuilder()
            .addMetadata(HeaderMatcher.newBuilder().setName("method").setStringMatch(
                StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex("gr(")))))
    ).build();
    cp.push("3", with(base, bad));
    await(() -> !cp.nacks().isEmpty());
    assertThat(cp.nacks().get(0)).contains("aeraki.meta_protocol_proxy.config.route.v1alpha"
        + ".RouteConfiguration 2 MetaRouteConfiguration 'mesh-routes' routes[0].match.metadata[0]"
        + ".string_match.safe_regex.regex: invalid regex");
    assertThat(s.slow(0)).startsWith("b ");
  }

  private static Listener listener(String name, int port) {
    MetaProtocolProxy mp = MetaProtocolProxy.newBuilder().setStatPrefix(name)
        .setProtocol(ApplicationProtocol.newBuilder().setName("dubbo").setCodec(
            Codec.newBuilder().setName("aeraki.meta_protocol.codec.dubbo")))
        .setRds(Rds.newBuilder().setRouteConfigName("mesh-routes").setConfigSource(
            ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
        .addMetaProtocolFilters(MetaProtocolFilter.newBuilder()
            .setName("aeraki.meta_protocol.filters.router"))
        .build();
    return Listener.newBuilder().setName(name).setAddress(address(port))
        .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
            .setName("aeraki.meta_protocol_proxy").setTypedConfig(Any.pack(mp))))
        .build();
  }

  /** greet -> c-b with mutations; the rest weighted between c-a and c-b. */
  private static RouteConfiguration routes(int weightA, int weightB, String lane) {
    Route greet = Route.newBuilder().setName("greet")
        .setMatch(RouteMatch.newBuilder()
            .addMetadata(HeaderMatcher.newBuilder().setName("interface")
                .setStringMatch(StringMatcher.newBuilder().setExact(SERVICE)))
            .addMetadata(HeaderMatcher.newBuilder().setName("method")
                .setStringMatch(StringMatcher.newBuilder().setPrefix("gr"))))
        .setRoute(RouteAction.newBuilder().setCluster("c-b"))
        .addRequestMutation(KeyValue.newBuilder().setKey("x-lane").setValue(lane))
        .addResponseMutation(KeyValue.newBuilder().setKey("x-routed-by").setValue("protean"))
        .build();
    Route rest = Route.newBuilder().setName("rest")
        .setMatch(RouteMatch.newBuilder().addMetadata(
            HeaderMatcher.newBuilder().setName("interface").setPresentMatch(true)))
        .setRoute(RouteAction.newBuilder().setWeightedClusters(WeightedCluster.newBuilder()
            .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("c-a")
                .setWeight(UInt32Value.of(weightA)))
            .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("c-b")
                .setWeight(UInt32Value.of(weightB)))))
        .build();
    return RouteConfiguration.newBuilder().setName("mesh-routes").addRoutes(greet).addRoutes(rest)
        .build();
  }

  /** Aeraki's routes go wrapped in a Resource that names them (the Go server does not link them). */
  private static List<Message> with(List<Message> base, RouteConfiguration routes) {
    List<Message> all = new ArrayList<>(base);
    all.add(Resource.newBuilder().setName(routes.getName()).setResource(Any.pack(routes)).build());
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

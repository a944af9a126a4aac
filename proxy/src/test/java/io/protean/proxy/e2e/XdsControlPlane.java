package io.protean.proxy.e2e;

import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.FieldMatcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate.SinglePredicate;
import com.github.xds.type.matcher.v3.Matcher.OnMatch;
import com.github.xds.type.matcher.v3.StringMatcher;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.action.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.codecs.dubbo.v3.DubboCodecConfig;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.MethodMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.ServiceMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.GenericProxy;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.GenericRds;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * java-control-plane's own xDS server (SimpleCache + V3DiscoveryServer, ADS and the per-type
 * services) on a loopback port, and builders of the Envoy resources the tests push. Every
 * request the proxy sends is kept, so a test can read ACKs and NACKs.
 */
final class XdsControlPlane implements AutoCloseable {
  static final String GROUP = "protean";
  final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
  final List<DiscoveryRequest> requests = new CopyOnWriteArrayList<>();
  private final int port;
  private Server server;

  XdsControlPlane(int port) {
    this.port = port;
    start();
  }

  int port() {
    return port;
  }

  /** (Re)starts the server on the same port with the cache's current snapshot. */
  void start() {
    DiscoveryServerCallbacks callbacks = new DiscoveryServerCallbacks() {
      @Override
      public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
        requests.add(request);
      }

      @Override
      public void onV3StreamDeltaRequest(long streamId,
          io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest request) {
        // the proxy speaks state of the world
      }
    };
    V3DiscoveryServer v3 = new V3DiscoveryServer(callbacks, cache);
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .addService(v3.getAggregatedDiscoveryServiceImpl())
          .addService(v3.getClusterDiscoveryServiceImpl())
          .addService(v3.getEndpointDiscoveryServiceImpl())
          .addService(v3.getListenerDiscoveryServiceImpl())
          .addService(v3.getRouteDiscoveryServiceImpl())
          .build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills the server as a crash would: streams end with an error. */
  void stop() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  void push(String version, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
      List<Listener> listeners) {
    cache.setSnapshot(GROUP, Snapshot.create(clusters, endpoints, listeners, List.of(), List.of(),
        version));
  }

  /** The last request the proxy sent for {@code typeUrl}. */
  DiscoveryRequest last(String typeUrl) {
    for (int i = requests.size() - 1; i >= 0; i--) {
      if (requests.get(i).getTypeUrl().equals(typeUrl)) {
        return requests.get(i);
      }
    }
    return null;
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  static Address address(int port) {
    return Address.newBuilder().setSocketAddress(
        SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(port)).build();
  }

  static Cluster edsCluster(String name) {
    return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(
            ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
        .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
        .build();
  }

  static ClusterLoadAssignment endpoints(String cluster, int... ports) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    for (int p : ports) {
      locality.addLbEndpoints(LbEndpoint.newBuilder().setEndpoint(
          Endpoint.newBuilder().setAddress(address(p))));
    }
    return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(locality).build();
  }

  /** A generic_proxy Dubbo listener whose inline routes are {@code routes}. */
  static Listener dubboListener(String name, int port, RouteConfiguration routes) {
    return dubboListener(name, port, genericProxy(name).setRouteConfig(routes).build());
  }

  /** A generic_proxy Dubbo listener whose routes come over RDS as {@code routeConfigName}. */
  static Listener dubboListenerRds(String name, int port, String routeConfigName) {
    return dubboListener(name, port, genericProxy(name).setGenericRds(GenericRds.newBuilder()
        .setConfigSource(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance()))
        .setRouteConfigName(routeConfigName)).build());
  }

  private static GenericProxy.Builder genericProxy(String name) {
    return GenericProxy.newBuilder().setStatPrefix(name)
        .setCodecConfig(TypedExtensionConfig.newBuilder().setName("envoy.generic_proxy.codecs.dubbo")
            .setTypedConfig(Any.pack(DubboCodecConfig.getDefaultInstance())))
        .addFilters(TypedExtensionConfig.newBuilder().setName("envoy.filters.generic.router")
            .setTypedConfig(Any.pack(Router.getDefaultInstance())));
  }

  private static Listener dubboListener(String name, int port, GenericProxy gp) {
    return Listener.newBuilder().setName(name).setAddress(address(port))
        .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
            .setName("envoy.filters.network.generic_proxy").setTypedConfig(Any.pack(gp))))
        .build();
  }

  /** Routes: calls of {@code method} go to {@code methodCluster}, the rest of the service to {@code cluster}. */
  static RouteConfiguration routes(String service, String method, String methodCluster,
      String cluster) {
    return routes("routes", service, method, methodCluster, cluster);
  }

  static RouteConfiguration routes(String name, String service, String method,
      String methodCluster, String cluster) {
    FieldMatcher byMethod = FieldMatcher.newBuilder()
        .setPredicate(Predicate.newBuilder().setAndMatcher(Predicate.PredicateList.newBuilder()
            .addPredicate(single(ServiceMatchInput.getDefaultInstance(), service))
            .addPredicate(single(MethodMatchInput.getDefaultInstance(), method))))
        .setOnMatch(action(methodCluster)).build();
    FieldMatcher byService = FieldMatcher.newBuilder()
        .setPredicate(single(ServiceMatchInput.getDefaultInstance(), service))
        .setOnMatch(action(cluster)).build();
    return RouteConfiguration.newBuilder().setName(name)
        .setRoutes(Matcher.newBuilder().setMatcherList(
            MatcherList.newBuilder().addMatchers(byMethod).addMatchers(byService)))
        .build();
  }

  private static Predicate single(Message input, String exact) {
    return Predicate.newBuilder().setSinglePredicate(SinglePredicate.newBuilder()
        .setInput(com.github.xds.core.v3.TypedExtensionConfig.newBuilder().setName("input")
            .setTypedConfig(Any.pack(input)))
        .setValueMatch(StringMatcher.newBuilder().setExact(exact))).build();
  }

  private static OnMatch action(String cluster) {
    return OnMatch.newBuilder().setAction(com.github.xds.core.v3.TypedExtensionConfig.newBuilder()
        .setName("route").setTypedConfig(Any.pack(RouteAction.newBuilder().setCluster(cluster)
            .build()))).build();
  }
}

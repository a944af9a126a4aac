package io.protean.proxy.config.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.FieldMatcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate.PredicateList;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate.SinglePredicate;
import com.github.xds.type.matcher.v3.Matcher.MatcherTree;
import com.github.xds.type.matcher.v3.Matcher.OnMatch;
import com.github.xds.type.matcher.v3.StringMatcher;
import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.RetryPolicy;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.action.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.MethodMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.PropertyMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.ServiceMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.GenericProxy;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.config.model.ProxyConfig.LbPolicy;
import io.protean.proxy.config.model.ProxyConfig.MatchConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import io.protean.proxy.config.model.ProxyConfig.RetryOn;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvoyResourcesTest {
  private static final CodecConfig DUBBO = new CodecConfig("dubbo", Map.of());
  private static final CodecConfig THRIFT = new CodecConfig("thrift", Map.of());

  @Test
  void typeUrlsAreTheProtosNames() {
    assertThat(EnvoyResources.LISTENER).isEqualTo(Any.pack(Listener.getDefaultInstance()).getTypeUrl());
    assertThat(EnvoyResources.CLUSTER).isEqualTo(Any.pack(Cluster.getDefaultInstance()).getTypeUrl());
    assertThat(EnvoyResources.ENDPOINTS)
        .isEqualTo(Any.pack(ClusterLoadAssignment.getDefaultInstance()).getTypeUrl());
    assertThat(EnvoyResources.GENERIC_ROUTES)
        .isEqualTo(Any.pack(RouteConfiguration.getDefaultInstance()).getTypeUrl());
  }

  @Test
  void notOverOrBecomesOneRouteOfInvertedConditionsAndOrBecomesOneRouteEach() {
    // not(service = S or method = m) -> c1; (method = a or method = b) and service = S -> c2
    Predicate notOr = Predicate.newBuilder().setNotMatcher(Predicate.newBuilder().setOrMatcher(
        PredicateList.newBuilder().addPredicate(single(ServiceMatchInput.getDefaultInstance(), "S"))
            .addPredicate(single(MethodMatchInput.getDefaultInstance(), "m")))).build();
    Predicate andOr = Predicate.newBuilder().setAndMatcher(PredicateList.newBuilder()
        .addPredicate(Predicate.newBuilder().setOrMatcher(PredicateList.newBuilder()
            .addPredicate(single(MethodMatchInput.getDefaultInstance(), "a"))
            .addPredicate(single(MethodMatchInput.getDefaultInstance(), "b"))))
        .addPredicate(single(ServiceMatchInput.getDefaultInstance(), "S"))).build();
    List<RouteConfig> routes = routes(Matcher.newBuilder().setMatcherList(MatcherList.newBuilder()
        .addMatchers(field(notOr, "c1")).addMatchers(field(andOr, "c2")))
        .setOnNoMatch(action("fallback")).build(), DUBBO);

    assertThat(routes).extracting(RouteConfig::cluster).containsExactly("c1", "c2", "c2", "fallback");
    assertThat(routes.get(0).match()).containsExactly(
        new MatchConfig("interface", MatchKind.EXACT, "S", true),
        new MatchConfig("method", MatchKind.EXACT, "m", true));
    assertThat(routes.get(1).match()).containsExactly(
        new MatchConfig("method", MatchKind.EXACT, "a", false),
        new MatchConfig("interface", MatchKind.EXACT, "S", false));
    assertThat(routes.get(2).match()).containsExactly(
        new MatchConfig("method", MatchKind.EXACT, "b", false),
        new MatchConfig("interface", MatchKind.EXACT, "S", false));
    assertThat(routes.get(3).match()).isEmpty();
  }

  @Test
  void aPrefixTreeTriesTheLongestPrefixFirstAndTheServiceKeyFollowsTheCodec() {
    Matcher tree = Matcher.newBuilder().setMatcherTree(MatcherTree.newBuilder()
        .setInput(input(ServiceMatchInput.getDefaultInstance()))
        .setPrefixMatchMap(MatcherTree.MatchMap.newBuilder()
            .putMap("a.", action("short")).putMap("a.b.", action("long")))).build();
    List<RouteConfig> routes = routes(tree, THRIFT);
    assertThat(routes).extracting(RouteConfig::cluster).containsExactly("long", "short");
    assertThat(routes.get(0).match())
        .containsExactly(new MatchConfig("service", MatchKind.PREFIX, "a.b.", false));
  }

  @Test
  void suffixContainsAndIgnoreCaseBecomeRegexes() {
    assertThat(EnvoyResources.stringMatch("k", StringMatcher.newBuilder().setSuffix(".x").build(), "at"))
        .isEqualTo(new MatchConfig("k", MatchKind.REGEX, ".*\\Q.x\\E", false));
    assertThat(EnvoyResources.stringMatch("k",
        StringMatcher.newBuilder().setExact("Ab").setIgnoreCase(true).build(), "at").value())
        .isEqualTo("(?i)\\QAb\\E");
    assertThatThrownBy(() -> EnvoyResources.stringMatch("k", StringMatcher.newBuilder()
        .setSafeRegex(com.github.xds.type.matcher.v3.RegexMatcher.newBuilder().setRegex("(")).build(),
        "Listener 'l' x"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("Listener 'l' x.safe_regex.regex");
  }

  @Test
  void propertyInputsWeightedClustersAndRetryPolicies() {
    RouteAction a = RouteAction.newBuilder().setName("canary")
        .setWeightedClusters(WeightedCluster.newBuilder()
            .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("v1")
                .setWeight(UInt32Value.of(90)))
            .addClusters(WeightedCluster.ClusterWeight.newBuilder().setName("v2")
                .setWeight(UInt32Value.of(10))))
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(2))
        .setRetryPolicy(RetryPolicy.newBuilder().setRetryOn("connect-failure, 5xx")
            .setNumRetries(UInt32Value.of(2)))
        .build();
    Matcher m = Matcher.newBuilder().setMatcherList(MatcherList.newBuilder().addMatchers(
        FieldMatcher.newBuilder()
            .setPredicate(single(PropertyMatchInput.newBuilder().setPropertyName("lane").build(), "green"))
            .setOnMatch(OnMatch.newBuilder().setAction(com.github.xds.core.v3.TypedExtensionConfig
                .newBuilder().setName("r").setTypedConfig(Any.pack(a)))))).build();
    RouteConfig r = routes(m, DUBBO).get(0);
    assertThat(r.name()).isEqualTo("canary");
    assertThat(r.match()).containsExactly(new MatchConfig("lane", MatchKind.EXACT, "green", false));
    assertThat(r.clusters()).extracting(w -> w.name() + "=" + w.weight()).containsExactly("v1=90", "v2=10");
    assertThat(r.timeout()).hasSeconds(2);
    assertThat(r.retry().attempts()).isEqualTo(2);
    assertThat(r.retry().on()).containsExactly(RetryOn.CONNECT_FAILURE, RetryOn.SERVER_ERROR);

    RouteAction badRetry = a.toBuilder().setRetryPolicy(RetryPolicy.newBuilder().setRetryOn("gateway-error")).build();
    Matcher bad = m.toBuilder().setMatcherList(MatcherList.newBuilder().addMatchers(
        m.getMatcherList().getMatchers(0).toBuilder().setOnMatch(OnMatch.newBuilder().setAction(
            com.github.xds.core.v3.TypedExtensionConfig.newBuilder().setName("r")
                .setTypedConfig(Any.pack(badRetry)))))).build();
    assertThatThrownBy(() -> routes(bad, DUBBO)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes.matcher_list.matchers[0].on_match.action.typed_config"
            + ".retry_policy.retry_on")
        .hasMessageContaining("'gateway-error'");
  }

  @Test
  void clustersTakeTheirEndpointsPolicyAndCodecAndLeaveOutUnhealthyEndpoints() {
    Cluster c = Cluster.newBuilder().setName("c").setType(Cluster.DiscoveryType.EDS)
        .setLbPolicy(Cluster.LbPolicy.MAGLEV)
        .setMetadata(io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder().putFilterMetadata(
            "protean", Struct.newBuilder().putFields("codec",
                Value.newBuilder().setStringValue("thrift").build()).build()))
        .build();
    ClusterLoadAssignment cla = ClusterLoadAssignment.newBuilder().setClusterName("c")
        .addEndpoints(LocalityLbEndpoints.newBuilder()
            .addLbEndpoints(endpoint(1001, HealthStatus.HEALTHY))
            .addLbEndpoints(endpoint(1002, HealthStatus.UNHEALTHY))
            .addLbEndpoints(endpoint(1003, HealthStatus.UNKNOWN)))
        .build();
    ClusterConfig config = EnvoyResources.cluster(c, cla);
    assertThat(config.endpoints()).containsExactly(new HostPort("127.0.0.1", 1001),
        new HostPort("127.0.0.1", 1003));
    assertThat(config.lb()).isEqualTo(LbPolicy.MAGLEV);
    assertThat(config.maglev().tableSize()).isEqualTo(65537);
    assertThat(config.codec().name()).isEqualTo("thrift");

    assertThat(config.circuitBreakers()).isEqualTo(
        io.protean.proxy.config.model.ProxyConfig.CircuitBreakersConfig.DEFAULT);
    assertThat(config.outlierDetection()).isNull();

    Cluster guarded = c.toBuilder()
        .setCircuitBreakers(io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers.newBuilder()
            .addThresholds(io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers.Thresholds
                .newBuilder().setMaxRequests(UInt32Value.of(7)).setMaxRetries(UInt32Value.of(2))))
        .setOutlierDetection(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
            .setConsecutive5Xx(UInt32Value.of(3))
            .setBaseEjectionTime(com.google.protobuf.Duration.newBuilder().setSeconds(2))
            .setSuccessRateStdevFactor(UInt32Value.of(1000)))
        .build();
    ClusterConfig g = EnvoyResources.cluster(guarded, cla);
    assertThat(g.circuitBreakers().maxRequests()).isEqualTo(7);
    assertThat(g.circuitBreakers().maxRetries()).isEqualTo(2);
    assertThat(g.circuitBreakers().maxConnections()).isEqualTo(1024);
    assertThat(g.outlierDetection().consecutive5xx()).isEqualTo(3);
    assertThat(g.outlierDetection().baseEjectionTime()).hasSeconds(2);
    assertThat(g.outlierDetection().successRate().stdevFactor()).isEqualTo(1000);
    assertThat(g.outlierDetection().successRate().minimumHosts()).isEqualTo(5);

    assertThatThrownBy(() -> EnvoyResources.cluster(c.toBuilder().setType(Cluster.DiscoveryType.LOGICAL_DNS)
        .build(), null)).hasMessageContaining("Cluster 'c' type").hasMessageContaining("LOGICAL_DNS");
    assertThatThrownBy(() -> EnvoyResources.cluster(c.toBuilder().setMaglevLbConfig(
        Cluster.MaglevLbConfig.newBuilder().setTableSize(com.google.protobuf.UInt64Value.of(1000))).build(), null))
        .hasMessageContaining("Cluster 'c' maglev_lb_config.table_size").hasMessageContaining("prime");
  }

  @Test
  void protean_codecs_and_filters_come_as_typed_structs() {
    TypedStruct codec = TypedStruct.newBuilder().setTypeUrl("protean.io/codec/thrift")
        .setValue(Struct.newBuilder().putFields("transport",
            Value.newBuilder().setStringValue("framed").build())).build();
    TypedStruct filter = TypedStruct.newBuilder().setTypeUrl("protean.io/filter/set_metadata")
        .setValue(Struct.newBuilder().putFields("limit", Value.newBuilder().setNumberValue(3).build()))
        .build();
    GenericProxy gp = GenericProxy.newBuilder().setStatPrefix("t")
        .setCodecConfig(TypedExtensionConfig.newBuilder().setName("c").setTypedConfig(Any.pack(codec)))
        .addFilters(TypedExtensionConfig.newBuilder().setName("f").setTypedConfig(Any.pack(filter)))
        .setGenericRds(io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.GenericRds
            .newBuilder().setRouteConfigName("rds-1"))
        .build();
    Listener l = Listener.newBuilder().setName("l")
        .setAddress(Address.newBuilder().setSocketAddress(
            SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(9000)))
        .addFilterChains(FilterChain.newBuilder().addFilters(
            Filter.newBuilder().setName("gp").setTypedConfig(Any.pack(gp)))).build();
    EnvoyResources.PendingListener p = EnvoyResources.listener(l);
    assertThat(p.codec()).isEqualTo(new CodecConfig("thrift", Map.of("transport", "framed")));
    assertThat(p.filters()).singleElement().satisfies(f -> {
      assertThat(f.name()).isEqualTo("set_metadata");
      assertThat(f.config()).containsEntry("limit", 3);
    });
    assertThat(p.rdsName()).isEqualTo("rds-1");
    assertThat(p.complete(null).routes()).as("routes that never came: none").isEmpty();

    Listener tcp = l.toBuilder().setFilterChains(0, FilterChain.newBuilder().addFilters(
        Filter.newBuilder().setName("tcp").setTypedConfig(Any.pack(Struct.getDefaultInstance()))))
        .build();
    assertThatThrownBy(() -> EnvoyResources.listener(tcp))
        .hasMessageContaining("Listener 'l' filter_chains[0].filters[0].typed_config")
        .hasMessageContaining("GenericProxy");
  }

  private static LbEndpoint endpoint(int port, HealthStatus status) {
    return LbEndpoint.newBuilder().setHealthStatus(status).setEndpoint(Endpoint.newBuilder()
        .setAddress(Address.newBuilder().setSocketAddress(
            SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(port)))).build();
  }

  private static List<RouteConfig> routes(Matcher m, CodecConfig codec) {
    return EnvoyResources.routes(RouteConfiguration.newBuilder().setName("r").setRoutes(m).build(),
        codec, "RouteConfiguration 'r' ");
  }

  private static com.github.xds.core.v3.TypedExtensionConfig input(Message m) {
    return com.github.xds.core.v3.TypedExtensionConfig.newBuilder().setName("in")
        .setTypedConfig(Any.pack(m)).build();
  }

  private static Predicate single(Message input, String exact) {
    return Predicate.newBuilder().setSinglePredicate(SinglePredicate.newBuilder()
        .setInput(input(input)).setValueMatch(StringMatcher.newBuilder().setExact(exact))).build();
  }

  private static OnMatch action(String cluster) {
    return OnMatch.newBuilder().setAction(com.github.xds.core.v3.TypedExtensionConfig.newBuilder()
        .setName("route").setTypedConfig(Any.pack(RouteAction.newBuilder().setCluster(cluster).build())))
        .build();
  }

  private static FieldMatcher field(Predicate p, String cluster) {
    return FieldMatcher.newBuilder().setPredicate(p).setOnMatch(action(cluster)).build();
  }
}

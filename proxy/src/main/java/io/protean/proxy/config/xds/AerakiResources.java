package io.protean.proxy.config.xds;

import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.config.model.ProxyConfig.FilterConfig;
import io.protean.proxy.config.model.ProxyConfig.HashPolicy;
import io.protean.proxy.config.model.ProxyConfig.MatchConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import io.protean.proxy.config.model.ProxyConfig.MirrorConfig;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.config.model.ProxyConfig.WeightedCluster;
import io.protean.proxy.config.xds.aeraki.MetaProtocolFilter;
import io.protean.proxy.config.xds.aeraki.MetaProtocolProxy;
import io.protean.proxy.config.xds.aeraki.route.KeyValue;
import io.protean.proxy.config.xds.aeraki.route.Route;
import io.protean.proxy.config.xds.aeraki.route.RouteAction;
import io.protean.proxy.config.xds.aeraki.route.RouteConfiguration;
import io.protean.proxy.config.yaml.ConfigLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Aeraki's MetaProtocol resources (src/main/proto, wire-compatible with Aeraki's protos): a
 * listener whose network filter is {@code aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy}
 * and its MetaRDS route configurations, as Protean's model. Aeraki names the codec
 * ({@code aeraki.meta_protocol.codec.dubbo}); its last part is the Protean codec, unless the
 * codec's config is a TypedStruct {@code protean.io/codec/NAME} (a Wasm codec, say).
 */
final class AerakiResources {
  static final String PROXY = EnvoyResources.TYPE_PREFIX
      + "aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy";
  static final String ROUTES = EnvoyResources.TYPE_PREFIX
      + "aeraki.meta_protocol_proxy.config.route.v1alpha.RouteConfiguration";
  private static final String ROUTER = "aeraki.meta_protocol.filters.router";

  private AerakiResources() {}

  static EnvoyResources.PendingListener listener(String name, HostPort address,
      MetaProtocolProxy mp, String at) {
    CodecConfig codec = codec(mp, at);
    List<FilterConfig> filters = new ArrayList<>();
    for (int i = 0; i < mp.getMetaProtocolFiltersCount(); i++) {
      MetaProtocolFilter f = mp.getMetaProtocolFilters(i);
      String fAt = at + ".meta_protocol_filters[" + i + "]";
      if (f.getName().equals(ROUTER)) {
        if (i != mp.getMetaProtocolFiltersCount() - 1) {
          throw new ConfigException(fAt, "the router filter must be the last one");
        }
        continue;
      }
      if (!f.hasConfig()) {
        throw new ConfigException(fAt + ".config", "filter '" + f.getName() + "' is not supported;"
            + " Protean's filters come as a TypedStruct protean.io/filter/NAME");
      }
      filters.add(EnvoyResources.filter(f.getConfig(), fAt + ".config"));
    }
    return switch (mp.getRouteSpecifierCase()) {
      case ROUTE_CONFIG -> new EnvoyResources.PendingListener(name, address, codec,
          List.copyOf(filters), routes(mp.getRouteConfig(), at + ".route_config."), null, null);
      case RDS -> {
        String rds = mp.getRds().getRouteConfigName();
        if (rds.isEmpty()) {
          throw new ConfigException(at + ".rds.route_config_name", "must not be empty");
        }
        yield new EnvoyResources.PendingListener(name, address, codec, List.copyOf(filters), null,
            ROUTES, rds);
      }
      default -> throw new ConfigException(at, "give route_config or rds");
    };
  }

  private static CodecConfig codec(MetaProtocolProxy mp, String at) {
    io.protean.proxy.config.xds.aeraki.Codec c;
    String cAt;
    if (mp.hasProtocol()) {
      c = mp.getProtocol().getCodec();
      cAt = at + ".protocol.codec";
    } else {
      c = mp.getCodec();
      cAt = at + ".codec";
    }
    if (c.hasConfig() && !c.getConfig().getTypeUrl().isEmpty()) {
      return EnvoyResources.proteanCodec(c.getConfig(), cAt + ".config");
    }
    String n = c.getName().isEmpty() ? mp.getApplicationProtocol() : c.getName();
    String protocol = n.substring(n.lastIndexOf('.') + 1);
    if (!protocol.equals("dubbo") && !protocol.equals("thrift")) {
      throw new ConfigException(cAt + ".name", "codec '" + n + "' is not one of Protean's (dubbo,"
          + " thrift); give config: a TypedStruct protean.io/codec/NAME (a Wasm codec, say)");
    }
    return new CodecConfig(protocol, Map.of());
  }

  /** A MetaRDS route configuration: its routes in order, first match wins. */
  static List<RouteConfig> routes(RouteConfiguration rc, String at) {
    List<RouteConfig> routes = new ArrayList<>();
    for (int i = 0; i < rc.getRoutesCount(); i++) {
      routes.add(route(rc.getRoutes(i), at + "routes[" + i + "]"));
    }
    return List.copyOf(routes);
  }

  private static RouteConfig route(Route r, String at) {
    List<MatchConfig> match = new ArrayList<>();
    for (int i = 0; i < r.getMatch().getMetadataCount(); i++) {
      match.add(header(r.getMatch().getMetadata(i), at + ".match.metadata[" + i + "]"));
    }
    RouteAction a = r.getRoute();
    String cluster = null;
    List<WeightedCluster> weighted = List.of();
    switch (a.getClusterSpecifierCase()) {
      case CLUSTER -> {
        if (a.getCluster().isEmpty()) {
          throw new ConfigException(at + ".route.cluster", "must not be empty");
        }
        cluster = a.getCluster();
      }
      case WEIGHTED_CLUSTERS -> {
        List<WeightedCluster> ws = new ArrayList<>();
        var cs = a.getWeightedClusters().getClustersList();
        for (int i = 0; i < cs.size(); i++) {
          if (cs.get(i).getName().isEmpty()) {
            throw new ConfigException(at + ".route.weighted_clusters.clusters[" + i + "].name",
                "must not be empty");
          }
          ws.add(new WeightedCluster(cs.get(i).getName(),
              cs.get(i).hasWeight() ? cs.get(i).getWeight().getValue() : 0));
        }
        if (ws.stream().mapToLong(WeightedCluster::weight).sum() == 0) {
          throw new ConfigException(at + ".route.weighted_clusters", "needs a cluster with a weight"
              + " above 0");
        }
        weighted = List.copyOf(ws);
      }
      default -> throw new ConfigException(at + ".route", "give cluster or weighted_clusters");
    }
    List<HashPolicy> hash = new ArrayList<>();
    for (String key : a.getHashPolicyList()) {
      hash.add(new HashPolicy(key, false));
    }
    List<MirrorConfig> mirrors = new ArrayList<>();
    for (int i = 0; i < a.getRequestMirrorPoliciesCount(); i++) {
      var m = a.getRequestMirrorPolicies(i);
      if (m.getCluster().isEmpty()) {
        throw new ConfigException(at + ".route.request_mirror_policies[" + i + "].cluster",
            "must not be empty");
      }
      mirrors.add(new MirrorConfig(m.getCluster(),
          m.hasRuntimeFraction() ? fraction(m.getRuntimeFraction()) : 1.0));
    }
    return new RouteConfig(r.getName(), List.copyOf(match), cluster,
        ConfigLoader.DEFAULT_ROUTE_TIMEOUT, weighted, List.copyOf(hash), null, List.copyOf(mirrors),
        keyValues(r.getRequestMutationList(), at + ".request_mutation"),
        keyValues(r.getResponseMutationList(), at + ".response_mutation"));
  }

  private static double fraction(RuntimeFractionalPercent p) {
    FractionalPercent f = p.getDefaultValue();
    double denominator = switch (f.getDenominator()) {
      case HUNDRED -> 100;
      case TEN_THOUSAND -> 10_000;
      case MILLION -> 1_000_000;
      default -> 100;
    };
    return Math.min(1.0, f.getNumerator() / denominator);
  }

  private static Map<String, String> keyValues(List<KeyValue> kvs, String at) {
    if (kvs.isEmpty()) {
      return Map.of();
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kvs.size(); i++) {
      if (kvs.get(i).getKey().isEmpty()) {
        throw new ConfigException(at + "[" + i + "].key", "must not be empty");
      }
      m.put(kvs.get(i).getKey(), kvs.get(i).getValue());
    }
    return Collections.unmodifiableMap(m);
  }

  /** Envoy's HeaderMatcher on one metadata key (Aeraki's RouteMatch.metadata). */
  static MatchConfig header(HeaderMatcher h, String at) {
    String key = h.getName();
    if (key.isEmpty()) {
      throw new ConfigException(at + ".name", "must not be empty");
    }
    boolean invert = h.getInvertMatch();
    MatchConfig m = switch (h.getHeaderMatchSpecifierCase()) {
      case EXACT_MATCH -> new MatchConfig(key, MatchKind.EXACT, h.getExactMatch(), false);
      case PREFIX_MATCH -> new MatchConfig(key, MatchKind.PREFIX, h.getPrefixMatch(), false);
      case SUFFIX_MATCH -> regex(key, ".*" + Pattern.quote(h.getSuffixMatch()), at + ".suffix_match");
      case CONTAINS_MATCH -> regex(key, ".*" + Pattern.quote(h.getContainsMatch()) + ".*",
          at + ".contains_match");
      case SAFE_REGEX_MATCH -> regex(key, h.getSafeRegexMatch().getRegex(),
          at + ".safe_regex_match.regex");
      case PRESENT_MATCH -> {
        // present_match: false matches an absent key (Envoy), so it is an inverted presence.
        invert = invert != !h.getPresentMatch();
        yield new MatchConfig(key, MatchKind.PRESENT, null, false);
      }
      case STRING_MATCH -> stringMatch(key, h.getStringMatch(), at + ".string_match");
      default -> throw new ConfigException(at, "unsupported header matcher "
          + h.getHeaderMatchSpecifierCase() + " (range_match has no meaning for metadata)");
    };
    return invert ? new MatchConfig(m.key(), m.kind(), m.value(), !m.invert()) : m;
  }

  /**
   * Envoy's StringMatcher read as the xds one: the two messages have the same fields and numbers,
   * so the bytes of one parse as the other.
   */
  private static MatchConfig stringMatch(String key,
      io.envoyproxy.envoy.type.matcher.v3.StringMatcher s, String at) {
    try {
      return EnvoyResources.stringMatch(key,
          com.github.xds.type.matcher.v3.StringMatcher.parseFrom(s.toByteString()), at);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new ConfigException(at, "does not parse: " + e.getMessage());
    }
  }

  private static MatchConfig regex(String key, String regex, String at) {
    return EnvoyResources.regex(key, regex, at);
  }
}

package io.protean.proxy.config.xds;

import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate;
import com.github.xds.type.matcher.v3.Matcher.OnMatch;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.action.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.codecs.dubbo.v3.DubboCodecConfig;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.HostMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.MethodMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.PathMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.PropertyMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.matcher.v3.ServiceMatchInput;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.GenericProxy;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.xds.aeraki.MetaProtocolProxy;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.CircuitBreakersConfig;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.config.model.ProxyConfig.OutlierDetectionConfig;
import io.protean.proxy.config.model.ProxyConfig.StrictDnsConfig;
import io.protean.proxy.config.model.ProxyConfig.SuccessRateConfig;
import io.protean.proxy.config.model.ProxyConfig.DownstreamLimits;
import io.protean.proxy.config.model.ProxyConfig.FilterConfig;
import io.protean.proxy.config.model.ProxyConfig.HealthCheckConfig;
import io.protean.proxy.config.model.ProxyConfig.HealthCheckKind;
import io.protean.proxy.config.model.ProxyConfig.LbPolicy;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.config.model.ProxyConfig.MaglevConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import io.protean.proxy.config.model.ProxyConfig.RetryConfig;
import io.protean.proxy.config.model.ProxyConfig.RetryOn;
import io.protean.proxy.config.model.ProxyConfig.RingHashConfig;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.config.model.ProxyConfig.WeightedCluster;
import io.protean.proxy.config.yaml.ConfigLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Envoy v3 resources as Protean's configuration model: Listeners whose one network filter is
 * generic_proxy, generic_proxy RouteConfigurations, Clusters and ClusterLoadAssignments. Every
 * problem is a {@link ConfigException} whose path names the resource and the proto field, so a
 * NACK's error_detail says what to fix.
 *
 * <p>Protean's own codecs and filters, which Envoy has no type for, come as TypedStructs
 * ({@code xds.type.v3.TypedStruct} or {@code udpa.type.v1.TypedStruct}) whose type_url is
 * {@code protean.io/codec/NAME} or {@code protean.io/filter/NAME}; the struct is their options,
 * the same mapping the YAML takes.
 */
public final class EnvoyResources {
  static final String TYPE_PREFIX = "type.googleapis.com/";
  public static final String LISTENER = TYPE_PREFIX + "envoy.config.listener.v3.Listener";
  public static final String CLUSTER = TYPE_PREFIX + "envoy.config.cluster.v3.Cluster";
  public static final String ENDPOINTS = TYPE_PREFIX + "envoy.config.endpoint.v3.ClusterLoadAssignment";
  public static final String GENERIC_ROUTES =
      TYPE_PREFIX + "envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration";
  static final String CODEC_TYPE = "protean.io/codec/";
  static final String FILTER_TYPE = "protean.io/filter/";
  /** A matcher whose or/not combinations expand to more routes than this is refused. */
  static final int MAX_EXPANDED_ROUTES = 10_000;

  private EnvoyResources() {}

  /**
   * A listener whose routes are inline (translated already) or come over RDS: {@code rdsType}
   * (generic_proxy's or Aeraki's RouteConfiguration type url) and {@code rdsName}.
   */
  public record PendingListener(
      String name, HostPort address, CodecConfig codec, List<FilterConfig> filters,
      List<RouteConfig> inlineRoutes, String rdsType, String rdsName) {

    /** The RDS resource it waits for, as {@code type url|name}, or null. */
    public String rdsKey() {
      return rdsName == null ? null : rdsType + "|" + rdsName;
    }

    /** The listener with {@code routes} (its RDS resource, or null when it never came). */
    public ListenerConfig complete(Any routes) {
      List<RouteConfig> table;
      if (inlineRoutes != null) {
        table = inlineRoutes;
      } else if (routes == null) {
        table = List.of();
      } else if (rdsType.equals(AerakiResources.ROUTES)) {
        table = AerakiResources.routes(unpack(routes,
            io.protean.proxy.config.xds.aeraki.route.RouteConfiguration.class,
            "MetaRouteConfiguration '" + rdsName + "'"), "MetaRouteConfiguration '" + rdsName + "' ");
      } else {
        table = routes(unpack(routes, RouteConfiguration.class, "RouteConfiguration '" + rdsName
            + "'"), codec, "RouteConfiguration '" + rdsName + "' ");
      }
      return new ListenerConfig(name, address, codec, filters, table,
          ConfigLoader.DEFAULT_DRAIN_TIMEOUT, DownstreamLimits.DEFAULT);
    }
  }

  /**
   * Reads a Listener: its address and its one network filter, Envoy's generic_proxy or Aeraki's
   * MetaProtocolProxy.
   */
  public static PendingListener listener(Listener l) {
    String at = "Listener '" + l.getName() + "' ";
    if (l.getName().isEmpty()) {
      throw new ConfigException("Listener name", "must not be empty");
    }
    HostPort address = socketAddress(l.getAddress().getSocketAddress(), at + "address.socket_address");
    FilterChain chain;
    String chainAt;
    if (l.getFilterChainsCount() == 1 && !l.hasDefaultFilterChain()) {
      chain = l.getFilterChains(0);
      chainAt = "filter_chains[0]";
    } else if (l.getFilterChainsCount() == 0 && l.hasDefaultFilterChain()) {
      chain = l.getDefaultFilterChain();
      chainAt = "default_filter_chain";
    } else {
      throw new ConfigException(at + "filter_chains", "expected exactly one filter chain, found "
          + l.getFilterChainsCount() + (l.hasDefaultFilterChain() ? " and a default one" : ""));
    }
    if (chain.hasFilterChainMatch() || chain.hasTransportSocket()) {
      throw new ConfigException(at + chainAt, "filter_chain_match and transport_socket are not"
          + " supported");
    }
    if (chain.getFiltersCount() != 1) {
      throw new ConfigException(at + chainAt + ".filters", "expected one network filter"
          + " (generic_proxy or MetaProtocolProxy), found " + chain.getFiltersCount());
    }
    Filter f = chain.getFilters(0);
    String filterAt = at + chainAt + ".filters[0].typed_config";
    if (f.getTypedConfig().getTypeUrl().equals(AerakiResources.PROXY)) {
      return AerakiResources.listener(l.getName(), address, unpack(f.getTypedConfig(),
          MetaProtocolProxy.class, filterAt), filterAt);
    }
    if (!f.getTypedConfig().getTypeUrl().equals(typeUrl(GenericProxy.getDescriptor().getFullName()))) {
      throw new ConfigException(filterAt, "expected " + typeUrl(GenericProxy.getDescriptor()
          .getFullName()) + " or " + AerakiResources.PROXY + ", found "
          + (f.getTypedConfig().getTypeUrl().isEmpty() ? "nothing" : f.getTypedConfig().getTypeUrl()));
    }
    GenericProxy gp = unpack(f.getTypedConfig(), GenericProxy.class, filterAt);
    CodecConfig codec = codec(gp.getCodecConfig(), filterAt + ".codec_config");
    List<FilterConfig> filters = new ArrayList<>();
    for (int i = 0; i < gp.getFiltersCount(); i++) {
      TypedExtensionConfig fc = gp.getFilters(i);
      String fAt = filterAt + ".filters[" + i + "]";
      if (fc.getTypedConfig().getTypeUrl().equals(typeUrl(Router.getDescriptor().getFullName()))) {
        if (i != gp.getFiltersCount() - 1) {
          throw new ConfigException(fAt, "the router filter must be the last one");
        }
        continue;
      }
      filters.add(filter(fc.getTypedConfig(), fAt + ".typed_config"));
    }
    return switch (gp.getRouteSpecifierCase()) {
      case ROUTE_CONFIG -> new PendingListener(l.getName(), address, codec, List.copyOf(filters),
          routes(gp.getRouteConfig(), codec, filterAt + ".route_config."), null, null);
      case GENERIC_RDS -> {
        String rds = gp.getGenericRds().getRouteConfigName();
        if (rds.isEmpty()) {
          throw new ConfigException(filterAt + ".generic_rds.route_config_name", "must not be empty");
        }
        yield new PendingListener(l.getName(), address, codec, List.copyOf(filters), null,
            GENERIC_ROUTES, rds);
      }
      default -> throw new ConfigException(filterAt, "give route_config or generic_rds");
    };
  }

  /** A Protean filter: a TypedStruct {@code protean.io/filter/NAME}. */
  static FilterConfig filter(Any any, String at) {
    Typed t = typedStruct(any, FILTER_TYPE, at);
    return new FilterConfig(t.name, t.options);
  }

  /** A Protean codec: a TypedStruct {@code protean.io/codec/NAME}. */
  static CodecConfig proteanCodec(Any any, String at) {
    Typed t = typedStruct(any, CODEC_TYPE, at);
    return new CodecConfig(t.name, t.options);
  }

  private static CodecConfig codec(TypedExtensionConfig c, String at) {
    Any any = c.getTypedConfig();
    if (any.getTypeUrl().equals(typeUrl(DubboCodecConfig.getDescriptor().getFullName()))) {
      return new CodecConfig("dubbo", Map.of());
    }
    return proteanCodec(any, at + ".typed_config");
  }

  /**
   * The metadata key that generic_proxy's service (and host, path) input reads: Dubbo codecs
   * call the service {@code interface}, the others {@code service}.
   */
  static String serviceKey(CodecConfig codec) {
    boolean dubbo = codec.name().equals("dubbo")
        || String.valueOf(codec.options().getOrDefault("protocol", "")).equals("dubbo");
    return dubbo ? "interface" : "service";
  }

  /**
   * The routes of a generic_proxy RouteConfiguration, in match order.
   *
   * @param at where it is, ending with the separator of its fields ("RouteConfiguration 'r' ")
   */
  static List<RouteConfig> routes(RouteConfiguration r, CodecConfig codec, String at) {
    if (r.getVirtualHostsCount() > 0) {
      throw new ConfigException(at + "virtual_hosts", "virtual hosts are not supported; give"
          + " routes (match on the service instead)");
    }
    List<RouteConfig> routes = new ArrayList<>();
    if (r.hasRoutes()) {
      new Expander(codec, routes).matcher(r.getRoutes(), List.of(), at + "routes");
    }
    return List.copyOf(routes);
  }

  /** Turns a matcher tree into Protean's first-match route list. */
  private static final class Expander {
    private final CodecConfig codec;
    private final List<RouteConfig> out;

    Expander(CodecConfig codec, List<RouteConfig> out) {
      this.codec = codec;
      this.out = out;
    }

    void matcher(Matcher m, List<MatchConfig> outer, String at) {
      switch (m.getMatcherTypeCase()) {
        case MATCHER_LIST -> {
          List<Matcher.MatcherList.FieldMatcher> ms = m.getMatcherList().getMatchersList();
          for (int i = 0; i < ms.size(); i++) {
            String fAt = at + ".matcher_list.matchers[" + i + "]";
            for (List<MatchConfig> conjunction : dnf(ms.get(i).getPredicate(), false,
                fAt + ".predicate")) {
              onMatch(ms.get(i).getOnMatch(), concat(outer, conjunction), fAt + ".on_match");
            }
          }
        }
        case MATCHER_TREE -> {
          Matcher.MatcherTree t = m.getMatcherTree();
          String key = input(t.getInput(), at + ".matcher_tree.input");
          switch (t.getTreeTypeCase()) {
            case EXACT_MATCH_MAP -> t.getExactMatchMap().getMapMap().forEach((v, on) ->
                onMatch(on, concat(outer, List.of(new MatchConfig(key, MatchKind.EXACT, v, false))),
                    at + ".matcher_tree.exact_match_map['" + v + "']"));
            case PREFIX_MATCH_MAP -> t.getPrefixMatchMap().getMapMap().entrySet().stream()
                // Envoy's prefix map takes the longest prefix that matches.
                .sorted(Comparator.comparingInt((Map.Entry<String, OnMatch> e) -> e.getKey().length())
                    .reversed())
                .forEach(e -> onMatch(e.getValue(), concat(outer,
                    List.of(new MatchConfig(key, MatchKind.PREFIX, e.getKey(), false))),
                    at + ".matcher_tree.prefix_match_map['" + e.getKey() + "']"));
            default -> throw new ConfigException(at + ".matcher_tree", "custom_match is not supported");
          }
        }
        case MATCHERTYPE_NOT_SET -> { }
      }
      if (m.hasOnNoMatch()) {
        onMatch(m.getOnNoMatch(), outer, at + ".on_no_match");
      }
    }

    private void onMatch(OnMatch on, List<MatchConfig> conditions, String at) {
      if (on.hasMatcher()) {
        matcher(on.getMatcher(), conditions, at + ".matcher");
        return;
      }
      if (out.size() >= MAX_EXPANDED_ROUTES) {
        throw new ConfigException(at, "the matcher expands to more than " + MAX_EXPANDED_ROUTES
            + " routes");
      }
      RouteAction a = unpack(on.getAction().getTypedConfig(), RouteAction.class,
          at + ".action.typed_config");
      out.add(route(a, conditions, at + ".action.typed_config"));
    }

    /**
     * A predicate as a disjunction of conjunctions (each one route). {@code negate} pushes a not
     * inward (De Morgan): Protean's conditions can each be inverted, not grouped.
     */
    private List<List<MatchConfig>> dnf(Predicate p, boolean negate, String at) {
      switch (p.getMatchTypeCase()) {
        case SINGLE_PREDICATE -> {
          Predicate.SinglePredicate s = p.getSinglePredicate();
          String key = input(s.getInput(), at + ".single_predicate.input");
          if (!s.hasValueMatch()) {
            throw new ConfigException(at + ".single_predicate.custom_match", "not supported; give"
                + " value_match");
          }
          MatchConfig m = stringMatch(key, s.getValueMatch(), at + ".single_predicate.value_match");
          return List.of(List.of(negate ? new MatchConfig(m.key(), m.kind(), m.value(), !m.invert()) : m));
        }
        case NOT_MATCHER -> {
          return dnf(p.getNotMatcher(), !negate, at + ".not_matcher");
        }
        case AND_MATCHER, OR_MATCHER -> {
          boolean and = p.getMatchTypeCase() == Predicate.MatchTypeCase.AND_MATCHER;
          String listAt = at + (and ? ".and_matcher" : ".or_matcher") + ".predicate";
          List<Predicate> ps = (and ? p.getAndMatcher() : p.getOrMatcher()).getPredicateList();
          boolean conjunction = and != negate;
          List<List<MatchConfig>> result = conjunction ? List.of(List.of()) : new ArrayList<>();
          for (int i = 0; i < ps.size(); i++) {
            List<List<MatchConfig>> part = dnf(ps.get(i), negate, listAt + "[" + i + "]");
            if (conjunction) {
              List<List<MatchConfig>> product = new ArrayList<>();
              for (List<MatchConfig> a : result) {
                for (List<MatchConfig> b : part) {
                  product.add(concat(a, b));
                }
              }
              result = product;
            } else {
              result.addAll(part);
            }
            if (result.size() > MAX_EXPANDED_ROUTES) {
              throw new ConfigException(at, "the predicate expands to more than "
                  + MAX_EXPANDED_ROUTES + " routes");
            }
          }
          return result;
        }
        default -> throw new ConfigException(at, "empty predicate");
      }
    }

    /** The metadata key a generic_proxy match input reads. */
    private String input(com.github.xds.core.v3.TypedExtensionConfig input, String at) {
      Any any = input.getTypedConfig();
      String url = any.getTypeUrl();
      if (url.equals(typeUrl(ServiceMatchInput.getDescriptor().getFullName()))
          || url.equals(typeUrl(HostMatchInput.getDescriptor().getFullName()))
          || url.equals(typeUrl(PathMatchInput.getDescriptor().getFullName()))) {
        return serviceKey(codec);
      }
      if (url.equals(typeUrl(MethodMatchInput.getDescriptor().getFullName()))) {
        return "method";
      }
      if (url.equals(typeUrl(PropertyMatchInput.getDescriptor().getFullName()))) {
        String name = unpack(any, PropertyMatchInput.class, at + ".typed_config").getPropertyName();
        if (name.isEmpty()) {
          throw new ConfigException(at + ".typed_config.property_name", "must not be empty");
        }
        return name;
      }
      throw new ConfigException(at + ".typed_config", "unsupported match input " + url
          + " (supported: generic_proxy's service, host, path, method and property inputs)");
    }
  }

  /** A StringMatcher as one condition: suffix, contains and ignore_case become a regex. */
  static MatchConfig stringMatch(String key, com.github.xds.type.matcher.v3.StringMatcher s, String at) {
    String regex;
    switch (s.getMatchPatternCase()) {
      case EXACT -> {
        if (!s.getIgnoreCase()) {
          return new MatchConfig(key, MatchKind.EXACT, s.getExact(), false);
        }
        regex = Pattern.quote(s.getExact());
      }
      case PREFIX -> {
        if (!s.getIgnoreCase()) {
          return new MatchConfig(key, MatchKind.PREFIX, s.getPrefix(), false);
        }
        regex = Pattern.quote(s.getPrefix()) + ".*";
      }
      case SUFFIX -> regex = ".*" + Pattern.quote(s.getSuffix());
      case CONTAINS -> regex = ".*" + Pattern.quote(s.getContains()) + ".*";
      case SAFE_REGEX -> regex = s.getSafeRegex().getRegex();
      default -> throw new ConfigException(at, "unsupported string matcher " + s.getMatchPatternCase());
    }
    return regex(key, s.getIgnoreCase() ? "(?i)" + regex : regex,
        s.hasSafeRegex() ? at + ".safe_regex.regex" : at);
  }

  /** A regex condition, checked to compile (Java's syntax; RE2's common subset reads the same). */
  static MatchConfig regex(String key, String regex, String at) {
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new ConfigException(at, "invalid regex: " + e.getDescription());
    }
    return new MatchConfig(key, MatchKind.REGEX, regex, false);
  }

  private static RouteConfig route(RouteAction a, List<MatchConfig> match, String at) {
    Duration timeout = a.hasTimeout() ? duration(a.getTimeout(), at + ".timeout")
        : ConfigLoader.DEFAULT_ROUTE_TIMEOUT;
    RetryConfig retry = a.hasRetryPolicy() ? retry(a.getRetryPolicy(), at + ".retry_policy") : null;
    switch (a.getClusterSpecifierCase()) {
      case CLUSTER -> {
        if (a.getCluster().isEmpty()) {
          throw new ConfigException(at + ".cluster", "must not be empty");
        }
        return new RouteConfig(a.getName(), List.copyOf(match), a.getCluster(), timeout, List.of(),
            List.of(), retry, List.of());
      }
      case WEIGHTED_CLUSTERS -> {
        List<WeightedCluster> ws = new ArrayList<>();
        var clusters = a.getWeightedClusters().getClustersList();
        for (int i = 0; i < clusters.size(); i++) {
          var w = clusters.get(i);
          if (w.getName().isEmpty()) {
            throw new ConfigException(at + ".weighted_clusters.clusters[" + i + "].name",
                "must not be empty (cluster_header is not supported)");
          }
          ws.add(new WeightedCluster(w.getName(), w.hasWeight() ? w.getWeight().getValue() : 0));
        }
        if (ws.isEmpty() || ws.stream().mapToLong(WeightedCluster::weight).sum() == 0) {
          throw new ConfigException(at + ".weighted_clusters", "needs a cluster with a weight above 0");
        }
        return new RouteConfig(a.getName(), List.copyOf(match), null, timeout, List.copyOf(ws),
            List.of(), retry, List.of());
      }
      default -> throw new ConfigException(at, "give cluster or weighted_clusters");
    }
  }

  /**
   * core.v3.RetryPolicy: {@code retry_on} names Protean's conditions (connect-failure, reset,
   * timeout, overloaded, server-error, server-timeout; Envoy's {@code 5xx} is server-error).
   */
  private static RetryConfig retry(io.envoyproxy.envoy.config.core.v3.RetryPolicy p, String at) {
    List<RetryOn> on = new ArrayList<>();
    for (String token : p.getRetryOn().split(",")) {
      String t = token.trim().toLowerCase(Locale.ROOT).replace('-', '_');
      if (t.isEmpty()) {
        continue;
      }
      RetryOn c = t.equals("5xx") ? RetryOn.SERVER_ERROR : null;
      for (RetryOn r : RetryOn.values()) {
        if (r.name().equalsIgnoreCase(t)) {
          c = r;
        }
      }
      if (c == null) {
        throw new ConfigException(at + ".retry_on", "unknown retry condition '" + token.trim()
            + "'; expected connect-failure, reset, timeout, overloaded, server-error, server-timeout"
            + " or 5xx");
      }
      if (!on.contains(c)) {
        on.add(c);
      }
    }
    if (on.isEmpty()) {
      throw new ConfigException(at + ".retry_on", "name at least one retry condition");
    }
    int attempts = p.hasNumRetries() ? p.getNumRetries().getValue() : ConfigLoader.DEFAULT_RETRIES;
    if (attempts > 100) {
      throw new ConfigException(at + ".num_retries", "must be at most 100, found " + attempts);
    }
    Duration base = ConfigLoader.DEFAULT_BACKOFF_BASE;
    Duration max = null;
    if (p.hasRetryBackOff()) {
      base = duration(p.getRetryBackOff().getBaseInterval(), at + ".retry_back_off.base_interval");
      if (p.getRetryBackOff().hasMaxInterval()) {
        max = duration(p.getRetryBackOff().getMaxInterval(), at + ".retry_back_off.max_interval");
        if (max.compareTo(base) < 0) {
          throw new ConfigException(at + ".retry_back_off.max_interval",
              "must not be less than base_interval");
        }
      }
    }
    return new RetryConfig(attempts, List.copyOf(on), null, base, max == null ? base.multipliedBy(10)
        : max, ConfigLoader.DEFAULT_BUDGET_PERCENT, ConfigLoader.DEFAULT_MIN_RETRY_CONCURRENCY);
  }

  /**
   * A Cluster with its endpoints: those of {@code assignment} for an EDS cluster (null: none yet),
   * else its own load_assignment. The codec is {@code metadata.filter_metadata.protean.codec}, or
   * null for the caller to infer from the listeners routing to it.
   */
  public static ClusterConfig cluster(Cluster c, ClusterLoadAssignment assignment) {
    String at = "Cluster '" + c.getName() + "' ";
    if (c.getName().isEmpty()) {
      throw new ConfigException("Cluster name", "must not be empty");
    }
    List<HostPort> endpoints;
    switch (c.getType()) {
      case STATIC -> endpoints = endpoints(c.getLoadAssignment(), at + "load_assignment", false);
      case STRICT_DNS -> endpoints = endpoints(c.getLoadAssignment(), at + "load_assignment", true);
      case EDS -> endpoints = assignment == null ? List.of()
          : endpoints(assignment, "ClusterLoadAssignment '" + edsName(c) + "'", false);
      default -> throw new ConfigException(at + "type", "cluster type " + c.getType()
          + " is not supported (STATIC, STRICT_DNS or EDS)");
    }
    LbPolicy lb = switch (c.getLbPolicy()) {
      case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
      case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
      case RANDOM -> LbPolicy.RANDOM;
      case RING_HASH -> LbPolicy.RING_HASH;
      case MAGLEV -> LbPolicy.MAGLEV;
      default -> throw new ConfigException(at + "lb_policy", "lb policy " + c.getLbPolicy()
          + " is not supported");
    };
    Duration connectTimeout = c.hasConnectTimeout()
        ? duration(c.getConnectTimeout(), at + "connect_timeout") : ConfigLoader.DEFAULT_CONNECT_TIMEOUT;
    CircuitBreakersConfig breakers = circuitBreakers(c.getCircuitBreakers(),
        at + "circuit_breakers");
    RingHashConfig ringHash = null;
    MaglevConfig maglev = null;
    if (lb == LbPolicy.RING_HASH) {
      var r = c.getRingHashLbConfig();
      long min = r.hasMinimumRingSize() ? r.getMinimumRingSize().getValue()
          : RingHashConfig.DEFAULT.minimumRingSize();
      long max = r.hasMaximumRingSize() ? r.getMaximumRingSize().getValue()
          : RingHashConfig.DEFAULT.maximumRingSize();
      if (min < 1 || max > RingHashConfig.DEFAULT.maximumRingSize() || min > max) {
        throw new ConfigException(at + "ring_hash_lb_config", "expected 1 <= minimum_ring_size <="
            + " maximum_ring_size <= " + RingHashConfig.DEFAULT.maximumRingSize());
      }
      ringHash = new RingHashConfig((int) min, (int) max);
    } else if (lb == LbPolicy.MAGLEV) {
      var m = c.getMaglevLbConfig();
      long size = m.hasTableSize() ? m.getTableSize().getValue() : MaglevConfig.DEFAULT.tableSize();
      if (size < 1 || size > 5_000_011 || !java.math.BigInteger.valueOf(size).isProbablePrime(20)) {
        throw new ConfigException(at + "maglev_lb_config.table_size", "must be a prime up to"
            + " 5000011, found " + size);
      }
      maglev = new MaglevConfig((int) size);
    }
    if (c.getHealthChecksCount() > 1) {
      throw new ConfigException(at + "health_checks[1]", "one health check per cluster is supported");
    }
    HealthCheckConfig healthCheck = c.getHealthChecksCount() == 0 ? null
        : healthCheck(c.getHealthChecks(0), at + "health_checks[0]");
    OutlierDetectionConfig outliers = c.hasOutlierDetection()
        ? outlierDetection(c.getOutlierDetection(), at + "outlier_detection") : null;
    return new ClusterConfig(c.getName(), clusterCodec(c, at), endpoints, lb, 1, connectTimeout,
        breakers, ringHash, maglev, healthCheck, outliers, null,
        c.getType() == Cluster.DiscoveryType.STRICT_DNS ? new StrictDnsConfig(c.hasDnsRefreshRate()
            ? duration(c.getDnsRefreshRate(), at + "dns_refresh_rate") : Duration.ofSeconds(5)) : null);
  }

  /** The DEFAULT-priority thresholds (Envoy's defaults where unset); HIGH is not used here. */
  private static CircuitBreakersConfig circuitBreakers(CircuitBreakers cb, String at) {
    CircuitBreakersConfig d = CircuitBreakersConfig.DEFAULT;
    for (int i = 0; i < cb.getThresholdsCount(); i++) {
      CircuitBreakers.Thresholds t = cb.getThresholds(i);
      if (t.getPriority() != RoutingPriority.DEFAULT) {
        continue;
      }
      String tAt = at + ".thresholds[" + i + "]";
      return new CircuitBreakersConfig(
          t.hasMaxConnections() ? positive(t.getMaxConnections().getValue(), tAt + ".max_connections")
              : d.maxConnections(),
          t.hasMaxPendingRequests() ? t.getMaxPendingRequests().getValue() : d.maxPendingRequests(),
          t.hasMaxRequests() ? positive(t.getMaxRequests().getValue(), tAt + ".max_requests")
              : d.maxRequests(),
          t.hasMaxRetries() ? t.getMaxRetries().getValue() : d.maxRetries());
    }
    return d;
  }

  private static int positive(int v, String at) {
    if (v < 1) {
      throw new ConfigException(at, "must be at least 1, found " + Integer.toUnsignedString(v));
    }
    return v;
  }

  /** Envoy's OutlierDetection with its defaults; success rate only when a field of it is set. */
  private static OutlierDetectionConfig outlierDetection(OutlierDetection o, String at) {
    Duration base = o.hasBaseEjectionTime()
        ? duration(o.getBaseEjectionTime(), at + ".base_ejection_time") : Duration.ofSeconds(30);
    Duration max = o.hasMaxEjectionTime()
        ? duration(o.getMaxEjectionTime(), at + ".max_ejection_time") : Duration.ofSeconds(300);
    if (max.compareTo(base) < 0) {
      throw new ConfigException(at + ".max_ejection_time", "must be at least base_ejection_time");
    }
    int percent = o.hasMaxEjectionPercent() ? o.getMaxEjectionPercent().getValue() : 10;
    if (percent > 100) {
      throw new ConfigException(at + ".max_ejection_percent", "must be at most 100, found " + percent);
    }
    SuccessRateConfig rate = null;
    if (o.hasSuccessRateMinimumHosts() || o.hasSuccessRateRequestVolume()
        || o.hasSuccessRateStdevFactor()) {
      rate = new SuccessRateConfig(
          o.hasSuccessRateMinimumHosts() ? o.getSuccessRateMinimumHosts().getValue() : 5,
          o.hasSuccessRateRequestVolume() ? o.getSuccessRateRequestVolume().getValue() : 100,
          o.hasSuccessRateStdevFactor() ? o.getSuccessRateStdevFactor().getValue() : 1900);
    }
    return new OutlierDetectionConfig(
        o.hasConsecutive5Xx() ? o.getConsecutive5Xx().getValue() : 5,
        o.hasConsecutiveGatewayFailure() ? o.getConsecutiveGatewayFailure().getValue() : 0,
        o.hasInterval() ? duration(o.getInterval(), at + ".interval") : Duration.ofSeconds(10),
        base, max, percent, rate);
  }

  /** The name an EDS cluster's endpoints go by: its eds_cluster_config.service_name, else its own. */
  public static String edsName(Cluster c) {
    String s = c.getEdsClusterConfig().getServiceName();
    return s.isEmpty() ? c.getName() : s;
  }

  private static CodecConfig clusterCodec(Cluster c, String at) {
    Struct protean = c.getMetadata().getFilterMetadataMap().get("protean");
    if (protean == null || !protean.containsFields("codec")) {
      return null;
    }
    Value v = protean.getFieldsOrThrow("codec");
    String cAt = at + "metadata.filter_metadata.protean.codec";
    if (v.hasStringValue()) {
      return new CodecConfig(v.getStringValue(), Map.of());
    }
    if (v.hasStructValue() && v.getStructValue().getFieldsCount() == 1) {
      var e = v.getStructValue().getFieldsMap().entrySet().iterator().next();
      if (!e.getValue().hasStructValue()) {
        throw new ConfigException(cAt + "." + e.getKey(), "codec options must be a struct");
      }
      return new CodecConfig(e.getKey(), struct(e.getValue().getStructValue()));
    }
    throw new ConfigException(cAt, "expected a codec name or {name: {options}}");
  }

  private static HealthCheckConfig healthCheck(HealthCheck h, String at) {
    if (!h.hasInterval() || !h.hasTimeout()) {
      throw new ConfigException(at, "interval and timeout are required");
    }
    Duration interval = duration(h.getInterval(), at + ".interval");
    Duration timeout = duration(h.getTimeout(), at + ".timeout");
    int unhealthy = h.hasUnhealthyThreshold() ? h.getUnhealthyThreshold().getValue() : 1;
    int healthy = h.hasHealthyThreshold() ? h.getHealthyThreshold().getValue() : 1;
    if (unhealthy < 1 || healthy < 1) {
      throw new ConfigException(at, "unhealthy_threshold and healthy_threshold must be at least 1");
    }
    Duration noTraffic = h.hasNoTrafficInterval()
        ? duration(h.getNoTrafficInterval(), at + ".no_traffic_interval")
        : ConfigLoader.DEFAULT_NO_TRAFFIC_INTERVAL;
    Duration jitter = h.hasIntervalJitter() ? duration(h.getIntervalJitter(), at + ".interval_jitter")
        : Duration.ZERO;
    HealthCheckKind kind;
    Map<String, Object> options = Map.of();
    switch (h.getHealthCheckerCase()) {
      case TCP_HEALTH_CHECK -> {
        if (h.getTcpHealthCheck().hasSend() || h.getTcpHealthCheck().getReceiveCount() > 0) {
          throw new ConfigException(at + ".tcp_health_check", "send and receive are not supported;"
              + " a TCP check is a connect (use the protocol check for a request)");
        }
        kind = HealthCheckKind.TCP;
      }
      case CUSTOM_HEALTH_CHECK -> {
        var custom = h.getCustomHealthCheck();
        if (!custom.getName().equals("protean.protocol")) {
          throw new ConfigException(at + ".custom_health_check.name", "expected protean.protocol"
              + " (the codec's own check), found '" + custom.getName() + "'");
        }
        kind = HealthCheckKind.PROTOCOL;
        if (custom.hasTypedConfig()) {
          options = typedStruct(custom.getTypedConfig(), "protean.io/health_check/",
              at + ".custom_health_check.typed_config").options;
        }
      }
      default -> throw new ConfigException(at, "health checker " + h.getHealthCheckerCase()
          + " is not supported (tcp_health_check, or custom_health_check protean.protocol)");
    }
    return new HealthCheckConfig(interval, timeout, unhealthy, healthy, noTraffic, jitter, kind,
        options);
  }

  /** The endpoints that may take traffic: unhealthy, draining and timed-out ones are left out. */
  static List<HostPort> endpoints(ClusterLoadAssignment a, String at, boolean names) {
    Set<HostPort> endpoints = new LinkedHashSet<>();
    for (int i = 0; i < a.getEndpointsCount(); i++) {
      LocalityLbEndpoints locality = a.getEndpoints(i);
      for (int j = 0; j < locality.getLbEndpointsCount(); j++) {
        LbEndpoint e = locality.getLbEndpoints(j);
        String eAt = at + " endpoints[" + i + "].lb_endpoints[" + j + "]";
        HealthStatus s = e.getHealthStatus();
        if (s == HealthStatus.UNHEALTHY || s == HealthStatus.DRAINING || s == HealthStatus.TIMEOUT) {
          continue;
        }
        if (!e.hasEndpoint()) {
          throw new ConfigException(eAt, "expected an endpoint (named endpoints are not supported)");
        }
        HostPort hp = socketAddress(e.getEndpoint().getAddress().getSocketAddress(),
            eAt + ".endpoint.address.socket_address");
        if (!names && hp.literalAddress() == null) {
          throw new ConfigException(eAt + ".endpoint.address.socket_address.address",
              "expected an IP address, found '" + hp.host() + "'");
        }
        endpoints.add(hp);
      }
    }
    return List.copyOf(endpoints);
  }

  private static HostPort socketAddress(SocketAddress s, String at) {
    if (s.getAddress().isEmpty()) {
      throw new ConfigException(at + ".address", "required");
    }
    if (s.getPortSpecifierCase() != SocketAddress.PortSpecifierCase.PORT_VALUE
        || s.getPortValue() > 65535) {
      throw new ConfigException(at + ".port_value", "expected a port from 0 to 65535");
    }
    String problem = HostPort.hostProblem(s.getAddress());
    if (problem != null) {
      throw new ConfigException(at + ".address", problem);
    }
    return new HostPort(s.getAddress(), s.getPortValue());
  }

  private static Duration duration(com.google.protobuf.Duration d, String at) {
    if (d.getSeconds() < 0 || d.getNanos() < 0 || (d.getSeconds() == 0 && d.getNanos() == 0)) {
      throw new ConfigException(at, "must be positive");
    }
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  /** A Protean codec or filter: the TypedStruct's name after {@code prefix} and its options. */
  private record Typed(String name, Map<String, Object> options) {}

  private static Typed typedStruct(Any any, String prefix, String at) {
    String url;
    Struct value;
    try {
      if (any.is(com.github.xds.type.v3.TypedStruct.class)) {
        var t = any.unpack(com.github.xds.type.v3.TypedStruct.class);
        url = t.getTypeUrl();
        value = t.getValue();
      } else if (any.is(com.github.udpa.udpa.type.v1.TypedStruct.class)) {
        var t = any.unpack(com.github.udpa.udpa.type.v1.TypedStruct.class);
        url = t.getTypeUrl();
        value = t.getValue();
      } else {
        throw new ConfigException(at, "unsupported type " + any.getTypeUrl() + "; Protean's own"
            + " extensions come as a TypedStruct with type_url " + prefix + "NAME");
      }
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException(at, "does not parse: " + e.getMessage());
    }
    int i = url.indexOf(prefix);
    if (i < 0 || url.length() == i + prefix.length()) {
      throw new ConfigException(at + ".type_url", "expected " + prefix + "NAME, found '" + url + "'");
    }
    return new Typed(url.substring(i + prefix.length()), struct(value));
  }

  /** A Struct as the maps, lists, strings, booleans and numbers the YAML loader makes. */
  static Map<String, Object> struct(Struct s) {
    Map<String, Object> m = new LinkedHashMap<>();
    s.getFieldsMap().forEach((k, v) -> m.put(k, value(v)));
    return m;
  }

  private static Object value(Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        // JSON numbers are doubles; the YAML loader would have made integers of these.
        if (d == Math.rint(d) && Math.abs(d) < (1L << 53)) {
          long l = (long) d;
          yield l == (int) l ? (Object) (int) l : (Object) l;
        }
        yield d;
      }
      case STRUCT_VALUE -> struct(v.getStructValue());
      case LIST_VALUE -> v.getListValue().getValuesList().stream().map(EnvoyResources::value).toList();
      default -> null;
    };
  }

  static <T extends Message> T unpack(Any any, Class<T> type, String at) {
    if (!any.is(type)) {
      throw new ConfigException(at, "expected " + typeUrlOf(type) + ", found "
          + (any.getTypeUrl().isEmpty() ? "nothing" : any.getTypeUrl()));
    }
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException(at, "does not parse: " + e.getMessage());
    }
  }

  private static String typeUrlOf(Class<? extends Message> type) {
    return Any.pack(com.google.protobuf.Internal.getDefaultInstance(type)).getTypeUrl();
  }

  static String typeUrl(String fullName) {
    return TYPE_PREFIX + fullName;
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> l = new ArrayList<>(a);
    l.addAll(b);
    return List.copyOf(l);
  }
}

package io.protean.proxy.config.yaml;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.NodeConfig;
import io.protean.proxy.config.model.ProxyConfig.XdsConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.protean.proxy.config.model.ProxyConfig.AdminConfig;
import io.protean.proxy.config.model.ProxyConfig.CircuitBreakersConfig;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.KeepaliveConfig;
import io.protean.proxy.config.model.ProxyConfig.OutlierDetectionConfig;
import io.protean.proxy.config.model.ProxyConfig.StrictDnsConfig;
import io.protean.proxy.config.model.ProxyConfig.SuccessRateConfig;
import io.protean.proxy.config.model.ProxyConfig.HealthCheckConfig;
import io.protean.proxy.config.model.ProxyConfig.HealthCheckKind;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.config.model.ProxyConfig.FilterConfig;
import io.protean.proxy.config.model.ProxyConfig.HashPolicy;
import io.protean.proxy.config.model.ProxyConfig.LbPolicy;
import io.protean.proxy.config.model.ProxyConfig.DownstreamLimits;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchConfig;
import io.protean.proxy.config.model.ProxyConfig.MaglevConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import io.protean.proxy.config.model.ProxyConfig.RingHashConfig;
import io.protean.proxy.config.model.ProxyConfig.MirrorConfig;
import io.protean.proxy.config.model.ProxyConfig.RetryConfig;
import io.protean.proxy.config.model.ProxyConfig.RetryOn;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.config.model.ProxyConfig.WeightedCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads and validates the YAML configuration (documented field by field in docs/config.md). Every
 * problem is reported as a {@link ConfigException} naming the field path and the bad value.
 */
public final class ConfigLoader {
  public static final String DEFAULT_ADMIN = "127.0.0.1:9901";
  public static final Duration DEFAULT_ROUTE_TIMEOUT = RouteConfig.DEFAULT_TIMEOUT;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
  public static final Duration DEFAULT_HEALTH_CHECK_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(1);
  /** Envoy's default no_traffic_interval. */
  public static final Duration DEFAULT_NO_TRAFFIC_INTERVAL = Duration.ofSeconds(60);
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);
  /** Envoy's retry defaults: one retry, 25 ms base backoff (max 10x), a 20 % budget, 3 minimum. */
  public static final int DEFAULT_RETRIES = 1;
  public static final Duration DEFAULT_BACKOFF_BASE = Duration.ofMillis(25);
  public static final double DEFAULT_BUDGET_PERCENT = 20;
  public static final int DEFAULT_MIN_RETRY_CONCURRENCY = 3;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Predicate<String> knownCodec;
  private final Predicate<String> knownFilter;

  /**
   * @param knownCodec  which codec names exist (the codec registry)
   * @param knownFilter which filter names exist (the filter registry)
   */
  public ConfigLoader(Predicate<String> knownCodec, Predicate<String> knownFilter) {
    this.knownCodec = knownCodec;
    this.knownFilter = knownFilter;
  }

  public ProxyConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("(file)", "cannot read " + file + ": " + readProblem(e));
    }
    return parse(text);
  }

  private static String readProblem(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.charset.CharacterCodingException) {
      return "not UTF-8 text";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  public ProxyConfig parse(String yaml) {
    ProxyConfig config = parseFields(yaml);
    checkDistinctAddresses(config);
    return config;
  }

  /** Each field on its own; {@link #parse} then checks what involves several. */
  private ProxyConfig parseFields(String yaml) {
    JsonNode root = Node.read(yaml);
    if (root == null || root.isMissingNode()) {
      throw new ConfigException("(root)", "the configuration is empty");
    }
    Node top = new Node("", root).allowOnly("workers", "admin", "listeners", "clusters",
        "max_buffered_request_bytes", "node", "xds");
    int workers = top.field("workers").integer(Runtime.getRuntime().availableProcessors(), 1, 1024);
    AdminConfig admin = admin(top.field("admin"));

    List<Node> clusterNodes = top.field("clusters").list();
    List<ClusterConfig> clusters = new ArrayList<>();
    Set<String> clusterNames = new HashSet<>();
    for (Node c : clusterNodes) {
      ClusterConfig cluster = cluster(c);
      if (!clusterNames.add(cluster.name())) {
        throw c.field("name").error("duplicate cluster name '" + cluster.name() + "'");
      }
      clusters.add(cluster);
    }

    XdsConfig xds = xds(top.field("xds"), top.field("node"));
    List<Node> listenerNodes = (xds != null && xds.listeners() ? top.field("listeners")
        : top.required("listeners")).list();
    if (listenerNodes.isEmpty() && (xds == null || !xds.listeners())) {
      throw top.field("listeners").error("at least one listener is required");
    }
    List<ListenerConfig> listeners = new ArrayList<>();
    Set<String> listenerNames = new HashSet<>();
    for (Node l : listenerNodes) {
      ListenerConfig listener = listener(l, clusterNames);
      if (!listenerNames.add(listener.name())) {
        throw l.field("name").error("duplicate listener name '" + listener.name() + "'");
      }
      listeners.add(listener);
    }
    for (int i = 0; i < clusters.size(); i++) {
      clusters.set(i, withCodec(clusters.get(i), clusterNodes.get(i), listeners, listenerNodes));
    }
    long maxBuffered = top.field("max_buffered_request_bytes").integer(
        (int) ProxyConfig.DEFAULT_MAX_BUFFERED_REQUEST_BYTES, 1 << 16, Integer.MAX_VALUE);
    return new ProxyConfig(workers, admin, List.copyOf(listeners), List.copyOf(clusters),
        maxBuffered, xds);
  }

  /** Envoy's default initial_fetch_timeout. */
  public static final Duration DEFAULT_INITIAL_FETCH_TIMEOUT = Duration.ofSeconds(15);

  /** The {@code xds} section (and the {@code node} it identifies itself with), or null. */
  private static XdsConfig xds(Node n, Node nodeNode) {
    if (n.isMissing()) {
      if (!nodeNode.isMissing()) {
        throw nodeNode.error("node identifies the proxy to an xDS server; give xds too");
      }
      return null;
    }
    n.allowOnly("servers", "ads", "delta", "resources", "initial_fetch_timeout");
    List<HostPort> servers = new ArrayList<>();
    for (Node s : n.required("servers").list()) {
      servers.add((s.json().isObject() ? s.allowOnly("address").required("address") : s).hostPort());
    }
    if (servers.isEmpty()) {
      throw n.field("servers").error("at least one xDS server is required");
    }
    boolean ads = n.field("ads").bool(true);
    boolean delta = n.field("delta").bool(false);
    Node resources = n.required("resources");
    Set<String> kinds = new HashSet<>();
    for (Node r : resources.list()) {
      String kind = r.text();
      if (!kind.equals("listeners") && !kind.equals("clusters")) {
        throw r.error("unknown resource kind '" + kind + "'; expected listeners or clusters"
            + " (their routes and endpoints come with them)");
      }
      kinds.add(kind);
    }
    if (kinds.isEmpty()) {
      throw resources.error("name listeners, clusters or both");
    }
    Duration initialFetch = n.field("initial_fetch_timeout").duration(DEFAULT_INITIAL_FETCH_TIMEOUT);
    nodeNode.allowOnly("id", "cluster", "metadata");
    String id = nodeNode.required("id").text();
    if (id.isEmpty()) {
      throw nodeNode.field("id").error("must not be empty");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    Node md = nodeNode.field("metadata");
    if (!md.isMissing()) {
      if (!md.json().isObject()) {
        throw md.error("expected a mapping of strings");
      }
      md.json().fieldNames().forEachRemaining(k -> metadata.put(k, md.field(k).text()));
    }
    return new XdsConfig(new NodeConfig(id, nodeNode.field("cluster").text(""), Map.copyOf(metadata)),
        List.copyOf(servers), ads, delta, kinds.contains("listeners"), kinds.contains("clusters"),
        initialFetch);
  }

  /**
   * A cluster speaks one protocol: its {@code codec:}, or else the codec of the listeners that
   * route to it (or of all listeners, when no route names it) when they agree on one. Every
   * listener routing to it must speak that protocol: the proxy forwards frames, it does not
   * translate them.
   */
  private static ClusterConfig withCodec(ClusterConfig c, Node node, List<ListenerConfig> listeners,
      List<Node> listenerNodes) {
    CodecConfig codec = c.codec();
    if (codec == null) {
      // The first listener routing here (or the first listener, when none does) lends its codec,
      // options included, provided every candidate speaks the same protocol.
      List<ListenerConfig> routing = listeners.stream()
          .filter(l -> l.routes().stream().anyMatch(r -> r.sendsTo(c.name()))).toList();
      List<ListenerConfig> candidates = routing.isEmpty() ? listeners : routing;
      List<String> protocols = candidates.stream().map(l -> l.codec().name()).distinct().toList();
      if (protocols.size() != 1) {
        throw node.field("codec").error("cluster '" + c.name() + "' needs a codec: "
            + (routing.isEmpty() ? "no route names it and the listeners speak "
                : "the listeners routing to it speak ") + String.join(", ", protocols)
            + "; a cluster speaks one protocol");
      }
      codec = candidates.get(0).codec();
    }
    for (int i = 0; i < listeners.size(); i++) {
      ListenerConfig l = listeners.get(i);
      for (int r = 0; r < l.routes().size(); r++) {
        if (l.routes().get(r).sendsTo(c.name()) && !l.codec().name().equals(codec.name())) {
          throw clusterReference(listenerNodes.get(i).field("routes").list().get(r), c.name())
              .error("cluster '" + c.name() + "' speaks codec '" + codec.name() + "', but listener '"
                  + l.name() + "' speaks '" + l.codec().name() + "'");
        }
      }
    }
    return c.withCodec(codec);
  }

  /**
   * Where route {@code route} names {@code cluster}: its {@code cluster}, a {@code clusters[j].name}
   * or a {@code mirror[m].cluster}.
   */
  private static Node clusterReference(Node route, String cluster) {
    Node single = route.field("cluster");
    if (!single.isMissing() && cluster.equals(single.json().asText())) {
      return single;
    }
    for (Node w : route.field("clusters").list()) {
      if (cluster.equals(w.field("name").json().asText())) {
        return w.field("name");
      }
    }
    for (Node m : route.field("mirror").list()) {
      if (cluster.equals(m.field("cluster").json().asText())) {
        return m.field("cluster");
      }
    }
    return route;
  }

  /**
   * Refuses two listeners, or the admin and a listener, that the OS would not let listen on one
   * port together (see {@link HostPort#sharesPortWith}), naming the later one. Pure: names are
   * compared as written, never resolved; binding them (Addresses.checkBindable) finds the rest.
   */
  private static void checkDistinctAddresses(ProxyConfig config) {
    List<ListenerConfig> listeners = config.listeners();
    for (int i = 0; i < listeners.size(); i++) {
      for (int j = 0; j < i; j++) {
        refuseShared("listeners[" + i + "].address", listeners.get(i).address(), listeners.get(j));
      }
    }
    if (config.admin() != null) {
      for (ListenerConfig l : listeners) {
        refuseShared("admin.address", config.admin().address(), l);
      }
    }
  }

  private static void refuseShared(String field, HostPort address, ListenerConfig earlier) {
    if (!address.sharesPortWith(earlier.address())) {
      return;
    }
    String why = address.equals(earlier.address()) ? ""
        : address.isWildcard() || earlier.address().isWildcard()
            ? " (on " + earlier.address() + "; 0.0.0.0 and :: take the port on every address)"
            : " (on " + earlier.address() + ")";
    throw new ConfigException(field, address + " is already used by listener '" + earlier.name()
        + "'" + why + (field.equals("admin.address") ? adminHint(address) : ""));
  }

  /**
   * What to append to a problem with the admin's address: when it is the default, a reminder
   * (easy to forget when a second proxy runs on one machine); else nothing.
   */
  public static String adminHint(HostPort admin) {
    return admin.toString().equals(DEFAULT_ADMIN) ? " (the admin's default address; set "
        + "admin.address, or admin.enabled: false)" : "";
  }

  private static AdminConfig admin(Node n) {
    n.allowOnly("address", "enabled");
    if (!n.field("enabled").bool(true)) {
      return null;
    }
    Node address = n.field("address");
    return new AdminConfig((address.isMissing() ? new Node(address.path(),
        YAML.getNodeFactory().textNode(DEFAULT_ADMIN)) : address).hostPort());
  }

  private ListenerConfig listener(Node n, Set<String> clusters) {
    n.allowOnly("name", "address", "codec", "filters", "routes", "drain_timeout",
        "max_connections", "idle_timeout", "max_requests_per_connection",
        "max_pending_requests_per_connection", "request_read_timeout");
    String name = name(n.required("name"));
    HostPort address = n.required("address").hostPort();
    CodecConfig codec = codec(n.required("codec"));
    List<FilterConfig> filters = new ArrayList<>();
    for (Node f : n.field("filters").list()) {
      filters.add(filter(f));
    }
    List<RouteConfig> routes = new ArrayList<>();
    for (Node r : n.required("routes").list()) {
      routes.add(route(r, clusters));
    }
    Duration drain = n.field("drain_timeout").duration(DEFAULT_DRAIN_TIMEOUT);
    DownstreamLimits d = DownstreamLimits.DEFAULT;
    DownstreamLimits limits = new DownstreamLimits(
        n.field("max_connections").integer(d.maxConnections(), 1, Integer.MAX_VALUE),
        n.field("idle_timeout").duration(d.idleTimeout()),
        n.field("max_requests_per_connection").integer(d.maxRequestsPerConnection(), 1,
            Integer.MAX_VALUE),
        n.field("max_pending_requests_per_connection")
            .integer(d.maxPendingRequestsPerConnection(), 1, 1 << 20),
        n.field("request_read_timeout").duration(d.requestReadTimeout()));
    return new ListenerConfig(name, address, codec, List.copyOf(filters), List.copyOf(routes), drain,
        limits);
  }

  private CodecConfig codec(Node n) {
    Named named = named(n, "codec");
    if (!knownCodec.test(named.name)) {
      throw n.error("unknown codec '" + named.name + "'");
    }
    return new CodecConfig(named.name, named.options);
  }

  private FilterConfig filter(Node n) {
    Named named = named(n, "filter");
    if (!knownFilter.test(named.name)) {
      throw n.error("unknown filter '" + named.name + "'");
    }
    return new FilterConfig(named.name, named.options);
  }

  private record Named(String name, Map<String, Object> options) {}

  /** {@code NAME} or {@code {NAME: {options}}}. */
  @SuppressWarnings("unchecked")
  private static Named named(Node n, String what) {
    JsonNode json = n.json();
    if (json.isTextual()) {
      return new Named(json.asText(), Map.of());
    }
    if (json.isObject() && json.size() == 1) {
      Iterator<Map.Entry<String, JsonNode>> it = json.fields();
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode options = e.getValue();
      if (!options.isNull() && !options.isObject()) {
        throw n.field(e.getKey()).error(what + " options must be a mapping");
      }
      Map<String, Object> map = options.isNull() ? Map.of()
          : YAML.convertValue(options, LinkedHashMap.class);
      return new Named(e.getKey(), map);
    }
    throw n.error("expected a " + what + " name or {name: {options}}");
  }

  private static RouteConfig route(Node n, Set<String> clusters) {
    n.allowOnly("name", "match", "cluster", "timeout", "clusters", "hash_policy", "retry",
        "mirror", "request_mutation", "response_mutation");
    String name = n.field("name").text("");
    List<MatchConfig> conditions = conditions(n.field("match").allowOnly("metadata").field("metadata"));
    Node weightedNode = n.field("clusters");
    String cluster = null;
    List<WeightedCluster> weighted = List.of();
    if (weightedNode.isMissing()) {
      Node clusterNode = n.field("cluster");
      if (clusterNode.isMissing()) {
        throw clusterNode.error("required field is missing (or give weighted clusters: clusters)");
      }
      cluster = knownCluster(clusterNode, clusters);
    } else if (!n.field("cluster").isMissing()) {
      throw weightedNode.error("give either cluster or clusters, not both");
    } else {
      weighted = weightedClusters(weightedNode, clusters);
    }
    Duration timeout = n.field("timeout").duration(DEFAULT_ROUTE_TIMEOUT);
    RetryConfig retry = n.field("retry").isMissing() ? null : retry(n.field("retry"));
    List<MirrorConfig> mirror = new ArrayList<>();
    for (Node m : n.field("mirror").list()) {
      mirror.add(mirror(m, clusters));
    }
    return new RouteConfig(name, conditions, cluster, timeout, weighted,
        hashPolicy(n.field("hash_policy")), retry, List.copyOf(mirror),
        stringMap(n.field("request_mutation")), stringMap(n.field("response_mutation")));
  }

  /** A mapping of metadata keys to string values (empty when missing). */
  private static Map<String, String> stringMap(Node n) {
    if (n.isMissing()) {
      return Map.of();
    }
    if (!n.json().isObject()) {
      throw n.error("expected a mapping of metadata keys to values");
    }
    Map<String, String> m = new LinkedHashMap<>();
    n.json().fieldNames().forEachRemaining(k -> {
      if (k.isEmpty()) {
        throw n.error("a metadata key must not be empty");
      }
      m.put(k, n.field(k).text());
    });
    return java.util.Collections.unmodifiableMap(m);
  }

  private static String knownCluster(Node n, Set<String> clusters) {
    String cluster = n.text();
    if (!clusters.contains(cluster)) {
      throw n.error("no cluster named '" + cluster + "' (known: " + clusters + ")");
    }
    return cluster;
  }

  /** Largest weight of one weighted cluster; weights are relative, so this is no real limit. */
  static final int MAX_WEIGHT = 1_000_000;

  /** Envoy's WeightedCluster: weights are relative; 0 sends nothing, but one must be positive. */
  private static List<WeightedCluster> weightedClusters(Node list, Set<String> clusters) {
    List<WeightedCluster> weighted = new ArrayList<>();
    Set<String> names = new HashSet<>();
    long total = 0;
    for (Node w : list.list()) {
      w.allowOnly("name", "weight");
      String name = knownCluster(w.required("name"), clusters);
      if (!names.add(name)) {
        throw w.field("name").error("cluster '" + name + "' is listed twice");
      }
      int weight = w.required("weight").integer(0, 0, MAX_WEIGHT);
      total += weight;
      weighted.add(new WeightedCluster(name, weight));
    }
    if (weighted.isEmpty()) {
      throw list.error("at least one weighted cluster is required");
    }
    if (total == 0) {
      throw list.error("the weights add up to 0: at least one must be positive");
    }
    if (total > Integer.MAX_VALUE) {
      throw list.error("the weights add up to " + total + ", more than " + Integer.MAX_VALUE);
    }
    return List.copyOf(weighted);
  }

  /** Envoy's route hash_policy on metadata: {@code [key, ...]} or {@code [{key, terminal}, ...]}. */
  private static List<HashPolicy> hashPolicy(Node list) {
    List<HashPolicy> policy = new ArrayList<>();
    for (Node h : list.list()) {
      if (h.json().isObject()) {
        h.allowOnly("key", "terminal");
        policy.add(new HashPolicy(h.required("key").text(), h.field("terminal").bool(false)));
      } else {
        policy.add(new HashPolicy(h.text(), false));
      }
    }
    return List.copyOf(policy);
  }

  private static RetryConfig retry(Node n) {
    n.allowOnly("attempts", "on", "per_try_timeout", "backoff", "budget");
    int attempts = n.field("attempts").integer(DEFAULT_RETRIES, 0, 100);
    Node onNode = n.required("on");
    List<RetryOn> on = new ArrayList<>();
    String[] names = java.util.Arrays.stream(RetryOn.values())
        .map(c -> c.name().toLowerCase(java.util.Locale.ROOT)).toArray(String[]::new);
    for (Node c : onNode.list()) {
      String v = c.text();
      RetryOn condition = java.util.Arrays.stream(RetryOn.values())
          .filter(x -> x.name().equalsIgnoreCase(v)).findFirst().orElseThrow(() -> c.error(
              "unknown retry condition '" + v + "'; expected one of " + String.join(", ", names)));
      if (on.contains(condition)) {
        throw c.error("retry condition '" + v + "' is given twice");
      }
      on.add(condition);
    }
    if (on.isEmpty()) {
      throw onNode.error("at least one retry condition is required (one of "
          + String.join(", ", names) + ")");
    }
    Duration perTryTimeout = n.field("per_try_timeout").duration(null); // Node refuses 0
    Node backoff = n.field("backoff").allowOnly("base_interval", "max_interval");
    Duration base = backoff.field("base_interval").duration(DEFAULT_BACKOFF_BASE);
    Duration max = backoff.field("max_interval").duration(base.multipliedBy(10));
    if (max.compareTo(base) < 0) {
      throw backoff.field("max_interval").error("must not be less than base_interval (" + base.toMillis()
          + " ms)");
    }
    Node budget = n.field("budget").allowOnly("percent", "min_concurrency");
    double percent = budget.field("percent").number(DEFAULT_BUDGET_PERCENT, 0, 100);
    int minConcurrency = budget.field("min_concurrency")
        .integer(DEFAULT_MIN_RETRY_CONCURRENCY, 0, 1_000_000);
    return new RetryConfig(attempts, List.copyOf(on), perTryTimeout, base, max, percent,
        minConcurrency);
  }

  private static MirrorConfig mirror(Node n, Set<String> clusters) {
    n.allowOnly("cluster", "fraction");
    String cluster = knownCluster(n.required("cluster"), clusters);
    return new MirrorConfig(cluster, n.field("fraction").number(1, 0, 1));
  }

  /**
   * Parses a list of metadata conditions given as plain YAML data (for filters that match like
   * routes do). Errors name the field under {@code path}.
   */
  public static List<MatchConfig> conditions(Object yaml, String path) {
    return conditions(new Node(path, YAML.valueToTree(yaml)));
  }

  /** Parses a list of metadata conditions (as a route's {@code match.metadata}). */
  public static List<MatchConfig> conditions(Node list) {
    List<MatchConfig> conditions = new ArrayList<>();
    for (Node m : list.list()) {
      conditions.add(condition(m));
    }
    return List.copyOf(conditions);
  }

  private static MatchConfig condition(Node n) {
    n.allowOnly("key", "exact", "prefix", "regex", "present", "invert");
    String key = n.required("key").text();
    MatchKind kind = null;
    String value = null;
    for (MatchKind k : MatchKind.values()) {
      Node v = n.field(k.name().toLowerCase(java.util.Locale.ROOT));
      if (v.isMissing()) {
        continue;
      }
      if (kind != null) {
        throw v.error("only one of exact, prefix, regex, present may be given");
      }
      kind = k;
      if (k == MatchKind.PRESENT) {
        if (!v.bool(true)) {
          throw v.error("present must be true (use invert: true to match an absent key)");
        }
      } else {
        value = v.text();
      }
      if (k == MatchKind.REGEX) {
        try {
          Pattern.compile(value);
        } catch (PatternSyntaxException e) {
          throw v.error("invalid regex '" + value + "': " + e.getDescription());
        }
      }
    }
    if (kind == null) {
      throw n.error("one of exact, prefix, regex, present is required");
    }
    return new MatchConfig(key, kind, value, n.field("invert").bool(false));
  }

  private ClusterConfig cluster(Node n) {
    n.allowOnly("name", "codec", "endpoints", "lb", "connections_per_endpoint", "connect_timeout",
        "max_pending_requests", "circuit_breakers", "ring_hash_lb_config", "maglev_lb_config",
        "health_checks", "outlier_detection", "upstream_keepalive", "type", "dns_refresh_rate");
    String name = name(n.required("name"));
    List<HostPort> endpoints = new ArrayList<>();
    for (Node e : n.required("endpoints").list()) {
      endpoints.add((e.json().isObject() ? e.allowOnly("address").required("address") : e).endpointAddress());
    }
    if (endpoints.isEmpty()) {
      throw n.field("endpoints").error("at least one endpoint is required");
    }
    LbPolicy lb = n.field("lb").choice("round_robin",
        s -> LbPolicy.valueOf(s.toUpperCase(java.util.Locale.ROOT)),
        "round_robin", "random", "least_request", "ring_hash", "maglev");
    int connections = n.field("connections_per_endpoint").integer(1, 1, 64);
    Duration connectTimeout = n.field("connect_timeout").duration(DEFAULT_CONNECT_TIMEOUT);
    if (!n.field("max_pending_requests").isMissing()) {
      throw n.field("max_pending_requests").error("moved to circuit_breakers: {max_requests: N}"
          + " (requests in flight, now counted for the whole cluster rather than per worker)");
    }
    CircuitBreakersConfig breakers = circuitBreakers(n.field("circuit_breakers"));
    CodecConfig codec = n.field("codec").isMissing() ? null : codec(n.field("codec"));
    RingHashConfig ringHash = lbOptions(n, "ring_hash_lb_config", lb, LbPolicy.RING_HASH)
        ? ringHash(n.field("ring_hash_lb_config")) : null;
    MaglevConfig maglev = lbOptions(n, "maglev_lb_config", lb, LbPolicy.MAGLEV)
        ? maglev(n.field("maglev_lb_config"), endpoints.size()) : null;
    List<Node> checks = n.field("health_checks").list();
    if (checks.size() > 1) {
      throw checks.get(1).error("one health check per cluster is supported");
    }
    HealthCheckConfig healthCheck = checks.isEmpty() ? null : healthCheck(checks.get(0));
    Node outlier = n.field("outlier_detection");
    Node keepalive = n.field("upstream_keepalive");
    return new ClusterConfig(name, codec, List.copyOf(endpoints), lb, connections, connectTimeout,
        breakers, ringHash, maglev, healthCheck,
        outlier.isMissing() ? null : outlierDetection(outlier),
        keepalive.isMissing() ? null : keepalive(keepalive), strictDns(n, lb));
  }

  /** Envoy's default dns_refresh_rate. */
  public static final Duration DEFAULT_DNS_REFRESH_RATE = Duration.ofSeconds(5);

  /**
   * {@code type: static} (default: null) or {@code strict_dns} with its {@code dns_refresh_rate}.
   * A hashing policy builds its table from the configured endpoints, so it cannot follow
   * addresses that change: refused with strict_dns.
   */
  private static StrictDnsConfig strictDns(Node cluster, LbPolicy lb) {
    Node type = cluster.field("type");
    boolean strict = type.choice("static", s -> s.equals("strict_dns"), "static", "strict_dns");
    Node rate = cluster.field("dns_refresh_rate");
    if (!strict) {
      if (!rate.isMissing()) {
        throw rate.error("applies only to type: strict_dns");
      }
      return null;
    }
    if (lb == LbPolicy.RING_HASH || lb == LbPolicy.MAGLEV) {
      throw type.error("strict_dns works with lb round_robin, random or least_request (a hash"
          + " table is built from the configured endpoints), found lb: "
          + lb.name().toLowerCase(java.util.Locale.ROOT));
    }
    return new StrictDnsConfig(rate.duration(DEFAULT_DNS_REFRESH_RATE));
  }

  /** Largest circuit-breaker limit (Envoy's are uint32; more would not fit the counters). */
  static final int MAX_BREAKER_LIMIT = Integer.MAX_VALUE - 1;

  /** Envoy's CircuitBreakers.Thresholds (one, the default priority). */
  private static CircuitBreakersConfig circuitBreakers(Node n) {
    if (n.isMissing()) {
      return CircuitBreakersConfig.DEFAULT;
    }
    n.allowOnly("max_connections", "max_pending_requests", "max_requests", "max_retries");
    CircuitBreakersConfig d = CircuitBreakersConfig.DEFAULT;
    return new CircuitBreakersConfig(
        n.field("max_connections").integer(d.maxConnections(), 1, MAX_BREAKER_LIMIT),
        n.field("max_pending_requests").integer(d.maxPendingRequests(), 0, MAX_BREAKER_LIMIT),
        n.field("max_requests").integer(d.maxRequests(), 1, MAX_BREAKER_LIMIT),
        n.field("max_retries").integer(d.maxRetries(), 0, Integer.MAX_VALUE));
  }

  /** Envoy's OutlierDetection defaults: 5 consecutive 5xx, 10s interval, 30s base, 10 %. */
  private static OutlierDetectionConfig outlierDetection(Node n) {
    n.allowOnly("consecutive_5xx", "consecutive_gateway_failure", "interval",
        "base_ejection_time", "max_ejection_time", "max_ejection_percent", "success_rate");
    Duration base = n.field("base_ejection_time").duration(Duration.ofSeconds(30));
    Duration max = n.field("max_ejection_time").duration(Duration.ofSeconds(300));
    if (max.compareTo(base) < 0) {
      throw n.field("max_ejection_time").error("must be at least base_ejection_time ("
          + base.toMillis() + " ms), found " + max.toMillis() + " ms");
    }
    Node rate = n.field("success_rate");
    SuccessRateConfig successRate = null;
    if (!rate.json().isMissingNode()) {
      rate.allowOnly("minimum_hosts", "request_volume", "stdev_factor");
      successRate = new SuccessRateConfig(
          rate.field("minimum_hosts").integer(5, 1, 1_000_000),
          rate.field("request_volume").integer(100, 1, Integer.MAX_VALUE),
          rate.field("stdev_factor").integer(1900, 0, 1_000_000));
    }
    return new OutlierDetectionConfig(
        n.field("consecutive_5xx").integer(5, 0, 1_000_000),
        n.field("consecutive_gateway_failure").integer(0, 0, 1_000_000),
        n.field("interval").duration(Duration.ofSeconds(10)),
        base, max,
        n.field("max_ejection_percent").integer(10, 0, 100),
        successRate);
  }

  /**
   * {@code upstream_keepalive: {interval, ...codec's health-check options}}; whether the codec
   * can build a heartbeat is decided with the snapshot, as for protocol_health_check.
   */
  private static KeepaliveConfig keepalive(Node n) {
    if (!n.json().isObject()) {
      throw n.error("expected a mapping like {interval: 30s}");
    }
    Duration interval = n.required("interval").duration(null);
    Map<String, Object> options = new LinkedHashMap<>(options(n, "upstream_keepalive"));
    options.remove("interval");
    return new KeepaliveConfig(interval, Collections.unmodifiableMap(options));
  }

  /** Whether the options {@code field} of policy {@code owner} apply; given for another: refused. */
  private static boolean lbOptions(Node cluster, String field, LbPolicy lb, LbPolicy owner) {
    if (lb == owner) {
      return true;
    }
    if (!cluster.field(field).isMissing()) {
      throw cluster.field(field).error("applies only to lb: "
          + owner.name().toLowerCase(java.util.Locale.ROOT) + " (lb is "
          + lb.name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
    return false;
  }

  /** Envoy's limit on both ring sizes. */
  static final int MAX_RING_SIZE = 8 * 1024 * 1024;

  private static RingHashConfig ringHash(Node n) {
    n.allowOnly("minimum_ring_size", "maximum_ring_size");
    RingHashConfig d = RingHashConfig.DEFAULT;
    int min = n.field("minimum_ring_size").integer(d.minimumRingSize(), 1, MAX_RING_SIZE);
    int max = n.field("maximum_ring_size").integer(d.maximumRingSize(), 1, MAX_RING_SIZE);
    if (max < min) {
      throw n.field("maximum_ring_size").error("must be at least minimum_ring_size (" + min
          + "), found " + max);
    }
    return new RingHashConfig(min, max);
  }

  /** Envoy's limit on the Maglev table size. */
  static final int MAX_MAGLEV_TABLE = 5_000_011;

  private static MaglevConfig maglev(Node n, int endpoints) {
    n.allowOnly("table_size");
    Node size = n.field("table_size");
    int m = size.integer(MaglevConfig.DEFAULT.tableSize(), 2, MAX_MAGLEV_TABLE);
    if (!isPrime(m)) {
      throw size.error("must be a prime (65537, 131071, 1000003, ...), found " + m);
    }
    if (m < endpoints) {
      throw size.error("must be at least the number of endpoints (" + endpoints + "), found " + m);
    }
    return new MaglevConfig(m);
  }

  private static boolean isPrime(int m) {
    if (m < 2) {
      return false;
    }
    for (int d = 2; (long) d * d <= m; d++) {
      if (m % d == 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * One entry of {@code health_checks} (Envoy's HealthCheck): its timing, and exactly one of
   * {@code tcp_health_check: {}} or {@code protocol_health_check: {codec options}}. Whether the
   * codec can build a protocol check is decided when the snapshot is built (the codec knows).
   */
  private static HealthCheckConfig healthCheck(Node n) {
    n.allowOnly("interval", "timeout", "unhealthy_threshold", "healthy_threshold",
        "no_traffic_interval", "interval_jitter", "tcp_health_check", "protocol_health_check");
    Duration interval = n.field("interval").duration(DEFAULT_HEALTH_CHECK_INTERVAL);
    Duration timeout = n.field("timeout").duration(DEFAULT_HEALTH_CHECK_TIMEOUT);
    int unhealthy = n.field("unhealthy_threshold").integer(3, 1, 1000);
    int healthy = n.field("healthy_threshold").integer(2, 1, 1000);
    Duration noTraffic = n.field("no_traffic_interval").duration(DEFAULT_NO_TRAFFIC_INTERVAL);
    Node jitterNode = n.field("interval_jitter");
    Duration jitter = Duration.ZERO;
    if (!jitterNode.isMissing()) {
      try {
        jitter = Node.parseDuration(jitterNode.text());
      } catch (IllegalArgumentException e) {
        throw jitterNode.error(e.getMessage());
      }
    }
    Node tcp = n.field("tcp_health_check");
    Node protocol = n.field("protocol_health_check");
    // Present even when written with no value ("tcp_health_check:" reads as null).
    boolean hasTcp = !tcp.json().isMissingNode();
    boolean hasProtocol = !protocol.json().isMissingNode();
    if (hasTcp == hasProtocol) {
      throw n.error(hasTcp ? "only one of tcp_health_check, protocol_health_check may be given"
          : "a health check needs its type: tcp_health_check: {} or protocol_health_check: {...}");
    }
    HealthCheckKind kind;
    Map<String, Object> options;
    if (hasTcp) {
      tcp.allowOnly();
      kind = HealthCheckKind.TCP;
      options = Map.of();
    } else {
      kind = HealthCheckKind.PROTOCOL;
      options = options(protocol, "protocol_health_check");
    }
    return new HealthCheckConfig(interval, timeout, unhealthy, healthy, noTraffic, jitter, kind,
        options);
  }

  /** A mapping of extension options (null or absent: none). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> options(Node n, String what) {
    if (n.isMissing()) {
      return Map.of();
    }
    if (!n.json().isObject()) {
      throw n.error(what + " options must be a mapping");
    }
    return Collections.unmodifiableMap(YAML.convertValue(n.json(), LinkedHashMap.class));
  }

  private static String name(Node n) {
    String name = n.text();
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw n.error("names may use letters, digits, '_', '.', '-' only, found '" + name + "'");
    }
    return name;
  }
}

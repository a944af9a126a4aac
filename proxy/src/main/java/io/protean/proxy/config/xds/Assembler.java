package io.protean.proxy.config.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.config.model.ProxyConfig.LbPolicy;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.config.model.ProxyConfig.WeightedCluster;
import io.protean.proxy.config.yaml.ConfigLoader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which dynamic resources are ready to serve and assembles them (Envoy's warming): a
 * cluster of type EDS waits for its endpoints, a listener for its generic_proxy routes and for
 * every cluster they name. Each waits at most the initial-fetch timeout; then it is served with
 * what it has (no endpoints, no routes, or a cluster with no endpoints for a name that never came),
 * so requests get the codec's error instead of a connection refused. A served listener whose new
 * version is not ready keeps serving its last version (and its clusters) until it is.
 */
final class Assembler {
  private static final Logger log = LoggerFactory.getLogger(Assembler.class);

  record Result(Map<String, ListenerConfig> listeners, Map<String, ClusterConfig> clusters,
      long nextDeadline) {}

  private final long timeoutNanos;
  private final XdsClient.Sink sink;
  /** When each listener first appeared: it waits for its clusters from then. */
  private final Map<String, Long> firstSeen = new HashMap<>();
  /** When each route configuration and endpoint set was first asked for, by type url and name. */
  private final Map<String, Long> subscribedAt = new HashMap<>();
  private final Set<String> warnedPlaceholders = new HashSet<>();
  private Map<String, ListenerConfig> servedListeners = Map.of();
  private Map<String, ClusterConfig> servedClusters = Map.of();

  Assembler(java.time.Duration initialFetchTimeout, XdsClient.Sink sink) {
    this.timeoutNanos = initialFetchTimeout.toNanos();
    this.sink = sink;
  }

  /**
   * @param rds every route configuration, keyed by {@code type url|name}
   * @param now System.nanoTime()
   * @throws ConfigException when a resource is invalid (the response that brought it is NACKed)
   */
  Result assemble(Map<String, Any> lds, Map<String, Any> rds, Map<String, Any> cds,
      Map<String, Any> eds, long now) {
    long[] next = {0};
    ProxyConfig file = sink.file();
    Map<String, ClusterConfig> fileClusters = new HashMap<>();
    file.clusters().forEach(c -> fileClusters.put(c.name(), c));
    Set<String> staticClusters = fileClusters.keySet();
    Map<String, ClusterConfig> clusters = new LinkedHashMap<>();
    for (Any a : cds.values()) {
      Cluster c = unpack(a, Cluster.class);
      if (staticClusters.contains(c.getName())) {
        throw new ConfigException("Cluster '" + c.getName() + "' name",
            "the configuration file already has a cluster of this name");
      }
      ClusterLoadAssignment cla = null;
      Any endpoints = c.getType() == Cluster.DiscoveryType.EDS
          ? eds.get(EnvoyResources.edsName(c)) : null;
      if (endpoints != null) {
        cla = unpack(endpoints, ClusterLoadAssignment.class);
      }
      ClusterConfig config = EnvoyResources.cluster(c, cla); // checked even while it waits
      if (c.getType() == Cluster.DiscoveryType.EDS && endpoints == null
          && waiting(EnvoyResources.ENDPOINTS + "|" + EnvoyResources.edsName(c), now, next)) {
        continue;
      }
      clusters.put(c.getName(), config);
    }

    Map<String, ListenerConfig> listeners = new LinkedHashMap<>();
    Set<String> staticListeners = new HashSet<>();
    file.listeners().forEach(l -> staticListeners.add(l.name()));
    for (Any a : lds.values()) {
      Listener proto = unpack(a, Listener.class);
      EnvoyResources.PendingListener p = EnvoyResources.listener(proto);
      if (staticListeners.contains(p.name())) {
        throw new ConfigException("Listener '" + p.name() + "' name",
            "the configuration file already has a listener of this name");
      }
      long seen = firstSeen.computeIfAbsent(p.name(), k -> now);
      Any routes = p.rdsKey() == null ? null : rds.get(p.rdsKey());
      if (p.rdsKey() != null && routes == null && waiting(p.rdsKey(), now, next)) {
        keepServed(p.name(), listeners);
        continue;
      }
      ListenerConfig l = p.complete(routes);
      List<String> missing = referenced(l).filter(n -> !clusters.containsKey(n)
          && !staticClusters.contains(n)).distinct().toList();
      if (!missing.isEmpty()) {
        if (now - seen < timeoutNanos) {
          deadline(seen + timeoutNanos, next);
          keepServed(p.name(), listeners);
          continue;
        }
        for (String name : missing) {
          if (warnedPlaceholders.add(p.name() + "|" + name)) {
            log.warn("xDS: listener {} routes to cluster {}, which has not arrived within the"
                + " initial fetch timeout: serving it with no endpoints", p.name(), name);
          }
          clusters.put(name, new ClusterConfig(name, l.codec(), List.of(), LbPolicy.ROUND_ROBIN, 1,
              ConfigLoader.DEFAULT_CONNECT_TIMEOUT));
        }
      }
      listeners.put(l.name(), l);
    }
    firstSeen.keySet().retainAll(lds.keySet());

    // A listener kept at its served version keeps the clusters that version names.
    for (ListenerConfig l : listeners.values()) {
      referenced(l).filter(n -> !clusters.containsKey(n) && !staticClusters.contains(n))
          .forEach(n -> {
            ClusterConfig served = servedClusters.get(n);
            if (served != null) {
              clusters.put(n, served);
            }
          });
    }
    withCodecs(clusters, listeners, file);
    for (ListenerConfig l : listeners.values()) {
      referenced(l).distinct().forEach(n -> {
        ClusterConfig c = clusters.containsKey(n) ? clusters.get(n) : fileClusters.get(n);
        if (c != null && c.codec() != null && !c.codec().name().equals(l.codec().name())) {
          throw new ConfigException("Listener '" + l.name() + "' routes", "cluster '" + n
              + "' speaks codec '" + c.codec().name() + "', but the listener speaks '"
              + l.codec().name() + "'");
        }
      });
    }
    return new Result(listeners, clusters, next[0]);
  }

  /** The last accepted version of this listener, if one is being served. */
  private void keepServed(String name, Map<String, ListenerConfig> listeners) {
    ListenerConfig served = servedListeners.get(name);
    if (served != null) {
      listeners.put(name, served);
    }
  }

  /**
   * A dynamic cluster without a codec speaks that of the listeners routing to it; one no
   * listener routes to waits for one (its protocol is not known yet).
   */
  private static void withCodecs(Map<String, ClusterConfig> clusters,
      Map<String, ListenerConfig> listeners, ProxyConfig file) {
    List<ListenerConfig> all = new ArrayList<>(file.listeners());
    all.addAll(listeners.values());
    for (var it = clusters.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      ClusterConfig c = e.getValue();
      if (c.codec() != null) {
        continue;
      }
      Map<String, CodecConfig> codecs = new LinkedHashMap<>();
      for (ListenerConfig l : all) {
        if (l.routes().stream().anyMatch(r -> r.sendsTo(c.name()))) {
          codecs.putIfAbsent(l.codec().name(), l.codec());
        }
      }
      if (codecs.isEmpty()) {
        it.remove();
        continue;
      }
      if (codecs.size() > 1) {
        throw new ConfigException("Cluster '" + c.name() + "' metadata.filter_metadata.protean.codec",
            "required: listeners speaking " + String.join(", ", codecs.keySet())
                + " route to this cluster, and a cluster speaks one protocol");
      }
      e.setValue(new ClusterConfig(c.name(), codecs.values().iterator().next(), c.endpoints(),
          c.lb(), c.connectionsPerEndpoint(), c.connectTimeout(), c.circuitBreakers(),
          c.ringHash(), c.maglev(), c.healthCheck(), c.outlierDetection(), c.keepalive(),
          c.strictDns()));
    }
  }

  /** The last result the proxy accepted: the versions kept while newer ones wait. */
  void served(Result r) {
    servedListeners = Map.copyOf(r.listeners());
    servedClusters = Map.copyOf(r.clusters());
  }

  /** Whether {@code key} may still wait (then {@code next} gets its deadline). */
  private boolean waiting(String key, long now, long[] next) {
    Long since = subscribedAt.get(key);
    if (since == null) {
      return true; // not even asked for yet: the subscription follows this response
    }
    if (now - since < timeoutNanos) {
      deadline(since + timeoutNanos, next);
      return true;
    }
    return false;
  }

  private static void deadline(long at, long[] next) {
    if (next[0] == 0 || at - next[0] < 0) {
      next[0] = at;
    }
  }

  void subscribed(String url, Set<String> names, long now) {
    subscribedAt.keySet().removeIf(k -> k.startsWith(url + "|")
        && !names.contains(k.substring(url.length() + 1)));
    for (String n : names) {
      subscribedAt.putIfAbsent(url + "|" + n, now);
    }
  }

  Set<String> edsNames(Map<String, Any> cds) {
    Set<String> names = new LinkedHashSet<>();
    for (Any a : cds.values()) {
      Cluster c = unpack(a, Cluster.class);
      if (c.getType() == Cluster.DiscoveryType.EDS) {
        names.add(EnvoyResources.edsName(c));
      }
    }
    return names;
  }

  /** The route configurations of type {@code rdsType} that the listeners name. */
  Set<String> rdsNames(Map<String, Any> lds, String rdsType) {
    Set<String> names = new LinkedHashSet<>();
    for (Any a : lds.values()) {
      EnvoyResources.PendingListener p = EnvoyResources.listener(unpack(a, Listener.class));
      if (p.rdsName() != null && p.rdsType().equals(rdsType)) {
        names.add(p.rdsName());
      }
    }
    return names;
  }

  private static Stream<String> referenced(ListenerConfig l) {
    return l.routes().stream().flatMap((RouteConfig r) -> Stream.concat(
        Stream.concat(Stream.ofNullable(r.cluster()), r.clusters().stream().map(WeightedCluster::name)),
        r.mirror().stream().map(m -> m.cluster())));
  }

  private static <T extends Message> T unpack(Any a, Class<T> type) {
    try {
      return a.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new ConfigException(XdsClient.shortType(a.getTypeUrl()), "does not parse: " + e.getMessage());
    }
  }
}

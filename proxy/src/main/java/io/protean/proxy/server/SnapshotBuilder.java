package io.protean.proxy.server;

import io.protean.abi.Reloadable;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;
import io.protean.abi.filter.FilterFactory;
import io.protean.proxy.cluster.Cluster;
import io.protean.proxy.codec.CodecRegistry;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.config.model.ProxyConfig.FilterConfig;
import io.protean.proxy.config.model.ProxyConfig.HealthCheckKind;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.filter.FilterRegistry;
import io.protean.proxy.listener.ListenerSnapshot;
import io.protean.proxy.observability.ListenerStats;
import io.protean.proxy.observability.Stats;
import io.protean.proxy.route.RouteTable;
import io.protean.proxy.stream.StreamConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link Snapshot} from a configuration, off the event loops, reusing what the running
 * snapshot already has: a codec, filter, cluster or listener whose configuration is equal keeps
 * its running object (and its connections and Wasm instances). Everything new is created — and so
 * validated, Wasm modules on a throw-away instance included — before anything changes; on failure
 * {@link Built#discard} closes what was created.
 */
final class SnapshotBuilder {
  private final CodecRegistry codecs;
  private final FilterRegistry filters;
  private final Stats stats;

  SnapshotBuilder(CodecRegistry codecs, FilterRegistry filters, Stats stats) {
    this.codecs = codecs;
    this.filters = filters;
    this.stats = stats;
  }

  /** A snapshot built but not yet running, with what it created. */
  static final class Built {
    final Snapshot snapshot;
    /** Factories this build created (not reused from the running snapshot). */
    final List<Object> created = new ArrayList<>();
    /** Module changes of reused factories, validated, to commit with the swap. */
    final List<Reloadable.Staged> staged = new ArrayList<>();

    private Built(Snapshot snapshot) {
      this.snapshot = snapshot;
    }

    /** Closes the factories this build created (the snapshot was refused). */
    void discard() {
      closeAll(created);
    }
  }

  /**
   * @param previous the running snapshot, or null at start
   * @throws io.protean.proxy.config.model.ConfigException naming the field
   */
  Built build(ProxyConfig config, Snapshot previous, long version) {
    List<Object> created = new ArrayList<>();
    List<Reloadable.Staged> staged = new ArrayList<>();
    try {
      Map<CodecConfig, CodecFactory> codecFactories = new LinkedHashMap<>();
      Map<String, List<FilterFactory>> filterFactories = new LinkedHashMap<>();
      Map<String, ListenerSnapshot> listeners = new LinkedHashMap<>();
      for (int i = 0; i < config.listeners().size(); i++) {
        ListenerConfig l = config.listeners().get(i);
        String path = "listeners[" + i + "]";
        CodecFactory codec = codec(l.codec(), path + ".codec", previous, codecFactories, created,
            staged);
        List<FilterFactory> chain = filters(l, path, previous, created, staged);
        checkResponseMutations(l, chain, codec, path);
        filterFactories.put(l.name(), chain);
        ListenerSnapshot old = previous == null ? null : previous.listeners().get(l.name());
        if (old != null && old.config().equals(l) && old.codec() == codec
            && sameFactories(previous.filters().get(l.name()), chain)) {
          listeners.put(l.name(), old);
          continue;
        }
        ListenerStats listenerStats = old != null ? old.stream().stats()
            : new ListenerStats(stats, l.name());
        StreamConfig stream = new StreamConfig(l.name(), chain, new RouteTable(l.routes()),
            listenerStats);
        listeners.put(l.name(), new ListenerSnapshot(l, codec, stream));
      }
      Map<String, Cluster> clusters = new LinkedHashMap<>();
      for (int i = 0; i < config.clusters().size(); i++) {
        ClusterConfig c = config.clusters().get(i);
        CodecFactory codec = codec(c.codec(), "clusters[" + i + "].codec", previous,
            codecFactories, created, staged);
        Cluster old = previous == null ? null : previous.clusters().get(c.name());
        clusters.put(c.name(), old != null && old.config().equals(c) && old.codec() == codec ? old
            : Cluster.build(c, codec, protocolCheck(c, codec, "clusters[" + i + "]"),
                keepalive(c, codec, "clusters[" + i + "]"), stats, old, version));
      }
      Built built = new Built(new Snapshot(version, config, Collections.unmodifiableMap(codecFactories),
          Collections.unmodifiableMap(filterFactories), Collections.unmodifiableMap(listeners),
          Collections.unmodifiableMap(clusters)));
      built.created.addAll(created);
      built.staged.addAll(staged);
      return built;
    } catch (RuntimeException e) {
      closeAll(created);
      throw e;
    }
  }

  /**
   * The codec's health check for a cluster whose {@code health_checks} asks for a protocol one;
   * null otherwise. A codec that cannot build one (a Wasm module without the export) is refused
   * here, naming the field.
   */
  private static HealthCheck protocolCheck(ClusterConfig c, CodecFactory codec, String path) {
    if (c.healthCheck() == null || c.healthCheck().kind() != HealthCheckKind.PROTOCOL) {
      return null;
    }
    return codecCheck(codec, c.healthCheck().protocolOptions(),
        path + ".health_checks[0].protocol_health_check", "a health-check request; use"
            + " tcp_health_check: {} for this cluster");
  }

  /**
   * The heartbeat of a cluster with {@code upstream_keepalive}: the codec's health-check request
   * with the options given there; null without keepalive. A codec that cannot build one is
   * refused, naming the field.
   */
  private static HealthCheck keepalive(ClusterConfig c, CodecFactory codec, String path) {
    if (c.keepalive() == null) {
      return null;
    }
    return codecCheck(codec, c.keepalive().options(), path + ".upstream_keepalive",
        "a heartbeat request, so its connections cannot be kept alive this way");
  }

  /** {@code codec}'s health check with {@code options}; refused at {@code field} if none. */
  private static HealthCheck codecCheck(CodecFactory codec, Map<String, Object> options,
      String field, String refusal) {
    HealthCheck check;
    try {
      check = codec.healthCheck(options);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(field, e.getMessage());
    }
    if (check == null) {
      throw new ConfigException(field, "codec '" + codec.protocol() + "' cannot build " + refusal);
    }
    return check;
  }

  private CodecFactory codec(CodecConfig config, String path, Snapshot previous,
      Map<CodecConfig, CodecFactory> built, List<Object> created, List<Reloadable.Staged> staged) {
    CodecFactory f = built.get(config);
    if (f != null) {
      return f;
    }
    if (previous != null) {
      f = previous.codecs().get(config);
      if (f != null) {
        stage(f, path + "." + config.name(), staged);
      }
    }
    if (f == null) {
      f = codecs.create(config, path);
      created.add(f);
    }
    built.put(config, f);
    return f;
  }

  /** The listener's chain: a filter whose config equals one of the running chain keeps its factory. */
  private List<FilterFactory> filters(ListenerConfig l, String path, Snapshot previous,
      List<Object> created, List<Reloadable.Staged> staged) {
    List<FilterConfig> oldConfigs = new ArrayList<>();
    List<FilterFactory> oldFactories = new ArrayList<>();
    ListenerSnapshot old = previous == null ? null : previous.listeners().get(l.name());
    if (old != null) {
      oldConfigs.addAll(old.config().filters());
      oldFactories.addAll(previous.filters().get(l.name()));
    }
    List<FilterFactory> chain = new ArrayList<>();
    for (int f = 0; f < l.filters().size(); f++) {
      FilterConfig fc = l.filters().get(f);
      int reuse = oldConfigs.indexOf(fc);
      if (reuse >= 0) {
        FilterFactory kept = oldFactories.remove(reuse);
        oldConfigs.remove(reuse);
        stage(kept, path + ".filters[" + f + "]." + fc.name(), staged);
        chain.add(kept);
      } else {
        FilterFactory made = filters.create(fc, path + ".filters[" + f + "]");
        created.add(made);
        chain.add(made);
      }
    }
    return List.copyOf(chain);
  }

  /**
   * Refuses a filter or route that would change responses (a route: also requests) the
   * listener's codec cannot re-encode.
   */
  private static void checkResponseMutations(ListenerConfig l, List<FilterFactory> chain,
      CodecFactory codec, String path) {
    String requestRefusal = codec.encodeRefusal(MessageType.REQUEST);
    for (int r = 0; r < l.routes().size() && requestRefusal != null; r++) {
      if (!l.routes().get(r).requestMutation().isEmpty()) {
        throw new ConfigException(path + ".routes[" + r + "].request_mutation", "codec '"
            + codec.protocol() + "' cannot re-encode requests (" + requestRefusal + ")");
      }
    }
    String refusal = codec.encodeRefusal(MessageType.RESPONSE);
    if (refusal == null) {
      return;
    }
    for (int r = 0; r < l.routes().size(); r++) {
      if (!l.routes().get(r).responseMutation().isEmpty()) {
        throw new ConfigException(path + ".routes[" + r + "].response_mutation", "codec '"
            + codec.protocol() + "' cannot re-encode responses (" + refusal + ")");
      }
    }
    for (int f = 0; f < chain.size(); f++) {
      String field = chain.get(f).responseMutationField();
      if (field != null) {
        throw new ConfigException(path + ".filters[" + f + "]." + l.filters().get(f).name() + "."
            + field, "codec '" + codec.protocol() + "' cannot re-encode responses (" + refusal + ")");
      }
    }
  }

  /** A reused factory whose module file changed: the new module, validated, to commit later. */
  private static void stage(Object factory, String path, List<Reloadable.Staged> staged) {
    if (factory instanceof Reloadable r) {
      Reloadable.Staged s;
      try {
        s = r.stage();
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path, e.getMessage());
      }
      if (s != null) {
        staged.add(s);
      }
    }
  }

  private static boolean sameFactories(List<FilterFactory> a, List<FilterFactory> b) {
    if (a == null || a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /** Closes factories no snapshot uses (codec factories hold nothing beyond their threads' instances). */
  static void closeAll(List<Object> factories) {
    for (Object f : factories) {
      if (f instanceof FilterFactory filter) {
        filter.close();
      }
    }
  }

  /** The factories of {@code old} that {@code next} no longer uses. */
  static List<Object> unused(Snapshot old, Snapshot next) {
    Set<Object> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    kept.addAll(next.codecs().values());
    next.filters().values().forEach(kept::addAll);
    List<Object> unused = new ArrayList<>();
    for (CodecFactory c : old.codecs().values()) {
      if (!kept.contains(c)) {
        unused.add(c);
      }
    }
    for (List<FilterFactory> chain : old.filters().values()) {
      for (FilterFactory f : chain) {
        if (!kept.contains(f)) {
          unused.add(f);
        }
      }
    }
    return unused;
  }
}

package io.protean.proxy.server;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.ExtensionContext;
import io.protean.proxy.callout.ClusterHttpClient;
import io.protean.proxy.cluster.Cluster;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.upstream.Endpoint;
import io.protean.abi.Reloadable;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.filter.FilterFactory;
import io.protean.proxy.admin.AdminServer;
import io.protean.proxy.cluster.Cluster;
import io.protean.proxy.cluster.ClusterManager;
import io.protean.proxy.codec.CodecRegistry;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.config.xds.XdsClient;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.filter.FilterRegistry;
import io.protean.proxy.listener.BufferedRequestBytes;
import io.protean.proxy.listener.Listener;
import io.protean.proxy.listener.ListenerSnapshot;
import io.protean.proxy.loop.Worker;
import io.protean.proxy.observability.Stats;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy, and the composition root: the only place that wires the layers. One event
 * loop group serves all listeners and upstream connections; the admin endpoint has its own thread,
 * and reloads run on a thread of their own, so neither ever blocks a worker loop.
 *
 * <p>A reload ({@link #reload}, {@link #apply}) builds and validates the new {@link Snapshot} off
 * the event loops, then swaps it in: clusters first (new ones become visible to every loop), then
 * each listener's snapshot (a volatile write; connections move at their next frame), then removed
 * clusters and listeners drain. A swap costs a loop one small task.
 */
public final class Proxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Proxy.class);
  private final Path configFile;
  private final Stats stats = new Stats();
  private final Transport transport = Transport.best();
  /** Codecs and filters count into the proxy's one registry (Wasm instances, failures...). */
  private final CodecRegistry codecs = new CodecRegistry(ExtensionContext.of(stats));
  /** Filters may also call the clusters over HTTP (proxy-wasm's proxy_http_call). */
  private final FilterRegistry filters = new FilterRegistry(ExtensionContext.of(stats,
      new ClusterHttpClient(transport.channel(), this::endpointsOf)));
  private final SnapshotBuilder builder = new SnapshotBuilder(codecs, filters, stats);
  /** Made once: a registry scans the class path for providers, which a reload need not repeat. */
  private final ConfigLoader loader = new ConfigLoader(codecs::contains, filters::contains);
  private final Map<EventLoop, Worker> workers = new LinkedHashMap<>();
  /** Guarded by {@code this} (reloads are serialised). */
  private final Map<String, Listener> listeners = new LinkedHashMap<>();
  private final List<Listener> draining = new ArrayList<>();
  private final Map<ReloadResult.Outcome, Stats.Counter> reloads =
      new EnumMap<>(ReloadResult.Outcome.class);
  private final Stats.Gauge versionGauge;
  private final ExecutorService reloader = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "protean-reload");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Snapshot snapshot;
  private volatile ReloadResult lastReload;
  private volatile ReloadResult lastRefused;
  private volatile boolean ready;
  private EventLoopGroup group;
  private EventLoopGroup adminGroup;
  private volatile ClusterManager clusters;
  private BufferedRequestBytes bufferedRequests;
  private AdminServer admin;
  private ConfigWatcher watcher;
  /** The file's configuration (static resources); the snapshot's adds the xDS ones to it. */
  private ProxyConfig staticConfig;
  /** The xDS client, when the configuration names a server; its resources (guarded by this). */
  private volatile XdsClient xds;
  private List<ListenerConfig> dynamicListeners = List.of();
  private List<ClusterConfig> dynamicClusters = List.of();

  private Proxy(Path configFile) {
    this.configFile = configFile;
    for (ReloadResult.Outcome o : ReloadResult.Outcome.values()) {
      reloads.put(o, stats.counter("protean_config_reloads_total",
          "Configuration reloads, by result (applied, unchanged, refused).", "result", o.label()));
    }
    versionGauge = stats.gauge("protean_config_version", "The running configuration version.");
  }

  /** A loader that knows this build's codecs and filters. */
  public static ConfigLoader configLoader() {
    CodecRegistry codecs = new CodecRegistry();
    FilterRegistry filters = new FilterRegistry();
    return new ConfigLoader(codecs::contains, filters::contains);
  }

  /**
   * Checks what {@link ConfigLoader} cannot: each codec's and filter's own options (by building
   * their factories, then closing them). Binds nothing.
   *
   * @throws ConfigException naming the field
   */
  public static void validate(ProxyConfig config) {
    SnapshotBuilder b = new SnapshotBuilder(new CodecRegistry(), new FilterRegistry(), new Stats());
    b.build(config, null, 0).discard();
  }

  /** Builds, binds and starts a proxy; {@code POST /reload} then refuses (there is no file). */
  public static Proxy start(ProxyConfig config) throws InterruptedException {
    return start(null, config);
  }

  /** Builds, binds and starts a proxy from {@code file}, which {@link #reload} reads again. */
  public static Proxy start(Path file) throws InterruptedException {
    return start(file, configLoader().load(file));
  }

  private static Proxy start(Path file, ProxyConfig config) throws InterruptedException {
    Proxy proxy = new Proxy(file);
    try {
      proxy.doStart(config);
      return proxy;
    } catch (RuntimeException | InterruptedException e) {
      proxy.close();
      throw e;
    }
  }

  private synchronized void doStart(ProxyConfig config) throws InterruptedException {
    SnapshotBuilder.Built built = builder.build(config, null, 1);
    group = transport.newGroup(config.workers(), "protean-worker");
    for (EventExecutor e : group) {
      workers.put((EventLoop) e, new Worker((EventLoop) e));
    }
    clusters = new ClusterManager(workers.values(), transport.channel());
    bufferedRequests = new BufferedRequestBytes(config.maxBufferedRequestBytes());
    clusters.update(built.snapshot.clusters()).join();
    // Per-loop resources (a Wasm instance per loop) exist before the first connection.
    for (CodecFactory c : built.snapshot.codecs().values()) {
      prepareLoops(c::prepareThread);
    }
    for (List<FilterFactory> chain : built.snapshot.filters().values()) {
      for (FilterFactory f : chain) {
        prepareLoops(f::prepareThread);
      }
    }
    for (int i = 0; i < config.listeners().size(); i++) {
      ListenerConfig l = config.listeners().get(i);
      listeners.put(l.name(), bind(built.snapshot.listeners().get(l.name()), i));
    }
    snapshot = built.snapshot;
    versionGauge.inc();
    if (config.admin() != null) {
      adminGroup = transport.newGroup(1, "protean-admin");
      admin = AdminEndpoints.register(new AdminServer(), this);
      try {
        admin.bind(adminGroup, transport.serverChannel(), config.admin().address().toAddress());
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw Addresses.bindFailed("admin.address", config.admin().address(), e);
      }
      log.info("admin on http://{}:{}/", admin.localAddress().getHostString(),
          admin.localAddress().getPort());
    }
    staticConfig = config;
    ready = true;
    log.info("protean ready: {} workers, {} transport, {} listeners, {} clusters",
        config.workers(), transport.name(), listeners.size(), clusters.clusters().size());
    if (config.xds() != null) {
      xds = new XdsClient(config.xds(), new XdsSink());
      xds.start();
    }
  }

  /** Applies the xDS client's resources together with the file's. */
  private final class XdsSink implements XdsClient.Sink {
    @Override
    public void apply(List<ListenerConfig> listeners, List<ClusterConfig> clusters) {
      synchronized (Proxy.this) {
        ProxyConfig merged = merge(staticConfig, listeners, clusters);
        ReloadResult r = Proxy.this.apply(merged);
        if (r.outcome() == ReloadResult.Outcome.REFUSED) {
          throw new ConfigException(dynamicPath(r.field(), merged), r.reason());
        }
        dynamicListeners = listeners;
        dynamicClusters = clusters;
      }
    }

    @Override
    public ProxyConfig file() {
      synchronized (Proxy.this) {
        return staticConfig;
      }
    }
  }

  private static ProxyConfig merge(ProxyConfig file, List<ListenerConfig> listeners,
      List<ClusterConfig> clusters) {
    List<ListenerConfig> l = new ArrayList<>(file.listeners());
    l.addAll(listeners);
    List<ClusterConfig> c = new ArrayList<>(file.clusters());
    c.addAll(clusters);
    return file.with(List.copyOf(l), List.copyOf(c));
  }

  /** {@code listeners[3].routes[0]} of a merged configuration as the xDS resource it came from. */
  private String dynamicPath(String field, ProxyConfig merged) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(listeners|clusters)\\[(\\d+)\\]\\.?(.*)")
        .matcher(field == null ? "" : field);
    if (!m.matches()) {
      return field;
    }
    int i = Integer.parseInt(m.group(2));
    boolean listener = m.group(1).equals("listeners");
    int statics = listener ? staticConfig.listeners().size() : staticConfig.clusters().size();
    if (i < statics) {
      return field + " (of the configuration file)";
    }
    String name = listener ? merged.listeners().get(i).name() : merged.clusters().get(i).name();
    return (listener ? "Listener '" : "Cluster '") + name + "' " + m.group(3);
  }

  /** The xDS client's state per resource type, or null without one. */
  public Map<String, Map<String, String>> xdsStatus() {
    return xds == null ? null : xds.status();
  }

  private Listener bind(ListenerSnapshot s, int index) throws InterruptedException {
    Listener listener = new Listener(s, clusters, bufferedRequests);
    try {
      listener.bind(group, transport.serverChannel());
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      listener.drain(0);
      throw Addresses.bindFailed("listeners[" + index + "].address", s.config().address(), e);
    }
    log.info("listener {} ({}) on {}", s.config().name(), s.config().codec().name(),
        listener.localAddress());
    return listener;
  }

  /** The endpoints of cluster {@code name} now, or null when there is no such cluster. */
  private List<HostPort> endpointsOf(String name) {
    ClusterManager c = clusters;
    Cluster cluster = c == null ? null : c.cluster(name);
    return cluster == null ? null : cluster.endpoints().stream().map(Endpoint::address).toList();
  }

  /** Runs {@code task} on every event loop and waits. */
  private void prepareLoops(Runnable task) throws InterruptedException {
    for (Worker w : workers.values()) {
      w.loop().submit(task).sync();
    }
  }

  /** Watches the configuration file and reloads when it changes (debounced). */
  public void watch(Duration debounce) {
    if (configFile == null) {
      throw new IllegalStateException("the proxy was not started from a file");
    }
    watcher = new ConfigWatcher(configFile, debounce, () -> reloader.execute(this::reload));
    watcher.start();
  }

  /**
   * Reads the configuration file again and applies it ({@code POST /reload}, {@code --watch}).
   * Never throws: a problem is a refused result naming the field.
   */
  public ReloadResult reload() {
    if (configFile == null) {
      return record(ReloadResult.refused(version(), "(file)",
          "the proxy was started without a configuration file"));
    }
    ProxyConfig next;
    try {
      next = loader.load(configFile);
    } catch (ConfigException e) {
      return record(ReloadResult.refused(version(), e.path(), e.problem()));
    }
    synchronized (this) {
      if (xds == null) {
        return apply(next);
      }
      ProxyConfig previous = staticConfig;
      staticConfig = next; // the dynamic resources stay; the file's change around them
      ReloadResult r = apply(merge(next, dynamicListeners, dynamicClusters));
      if (r.outcome() == ReloadResult.Outcome.REFUSED) {
        staticConfig = previous;
      }
      return r;
    }
  }

  /** The same as {@link #reload()} on the reload thread, for callers that must not block. */
  CompletableFuture<ReloadResult> reloadAsync() {
    return CompletableFuture.supplyAsync(this::reload, reloader);
  }

  /**
   * Validates {@code next} completely, then swaps it in. Requests in flight finish on the route
   * and cluster they started with; no downstream connection is closed unless its listener was
   * removed or moved (then it drains).
   */
  public synchronized ReloadResult apply(ProxyConfig next) {
    if (closed.get()) {
      return record(ReloadResult.refused(version(), "(proxy)", "the proxy is shutting down"));
    }
    Snapshot current = snapshot;
    ConfigException fixed = fixedFieldChanged(current.config(), next);
    if (fixed != null) {
      return record(ReloadResult.refused(version(), fixed.path(), fixed.problem()));
    }
    long version = current.version() + 1;
    SnapshotBuilder.Built built;
    try {
      built = builder.build(next, current, version);
    } catch (ConfigException e) {
      return record(ReloadResult.refused(version(), e.path(), e.problem()));
    }
    if (next.equals(current.config()) && built.staged.isEmpty()) {
      return record(ReloadResult.unchanged(version()));
    }
    Snapshot s = built.snapshot;
    // New listeners, and listeners whose address changed, are bound before anything else
    // changes: a refused bind leaves the running configuration as it was.
    Map<String, Listener> bound = new LinkedHashMap<>();
    try {
      for (int i = 0; i < next.listeners().size(); i++) {
        ListenerConfig l = next.listeners().get(i);
        Listener running = listeners.get(l.name());
        if (running == null || !running.address().equals(l.address())) {
          bound.put(l.name(), bind(s.listeners().get(l.name()), i));
        }
      }
    } catch (ConfigException | InterruptedException e) {
      bound.values().forEach(b -> b.drain(0));
      built.discard();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return record(ReloadResult.refused(version(), "(proxy)", "interrupted"));
      }
      ConfigException c = (ConfigException) e;
      return record(ReloadResult.refused(version(), c.path(), c.problem()));
    }

    built.staged.forEach(Reloadable.Staged::commit);
    bufferedRequests.max(next.maxBufferedRequestBytes());
    // Clusters: first the names of the new set resolve (plus the removed ones: old requests may
    // still route there), then listeners move, then the loops' views move to the new versions and
    // the removed clusters drain. Moving the views last keeps an endpoint a reload adds out of
    // the old routes' picks: moved first, the requests the old routes sent to it in between
    // (64-96 per reload in bench/reload.sh --changes all) each waited for a fresh connection.
    Map<String, Cluster> union = new LinkedHashMap<>(s.clusters());
    current.clusters().forEach(union::putIfAbsent);
    clusters.publish(union);
    for (ListenerConfig l : next.listeners()) {
      ListenerSnapshot ls = s.listeners().get(l.name());
      Listener fresh = bound.get(l.name());
      Listener running = listeners.get(l.name());
      if (fresh != null) {
        listeners.put(l.name(), fresh);
        if (running != null) {
          drain(running); // the address changed
        }
      } else if (running.current() != ls) {
        running.update(ls);
      }
    }
    for (String name : new ArrayList<>(listeners.keySet())) {
      if (next.listener(name) == null) {
        drain(listeners.remove(name));
      }
    }
    clusters.update(s.clusters()).join();
    snapshot = s;
    release(SnapshotBuilder.unused(current, s));
    versionGauge.inc();
    log.info("configuration version {} applied", version);
    return record(ReloadResult.applied(version));
  }

  /**
   * Factories no snapshot uses any more: each loop frees its Wasm instance once the connections
   * and requests that started with it are done (the factory counts them), then filters close.
   */
  private void release(List<Object> unused) {
    if (unused.isEmpty()) {
      return;
    }
    for (Worker w : workers.values()) {
      w.loop().execute(() -> {
        for (Object f : unused) {
          if (f instanceof CodecFactory c) {
            c.releaseThread();
          } else if (f instanceof FilterFactory ff) {
            ff.releaseThread();
          }
        }
      });
    }
    SnapshotBuilder.closeAll(unused);
  }

  /** Workers and admin are fixed at start. */
  private static ConfigException fixedFieldChanged(ProxyConfig running, ProxyConfig next) {
    if (running.workers() != next.workers()) {
      return new ConfigException("workers", "cannot change while running (" + running.workers()
          + " -> " + next.workers() + "); restart the proxy");
    }
    if (!java.util.Objects.equals(running.admin(), next.admin())) {
      return new ConfigException("admin", "cannot change while running; restart the proxy");
    }
    if (!java.util.Objects.equals(running.xds(), next.xds())) {
      return new ConfigException("xds", "cannot change while running; restart the proxy");
    }
    return null;
  }

  private void drain(Listener l) {
    ListenerSnapshot s = l.current();
    log.info("listener {} on {} drains (up to {})", l.name(), l.address(), s.config().drainTimeout());
    l.drain(s.config().drainTimeout().toNanos());
    draining.removeIf(Listener::drained);
    draining.add(l);
  }

  private ReloadResult record(ReloadResult r) {
    reloads.get(r.outcome()).inc();
    lastReload = r;
    if (r.outcome() == ReloadResult.Outcome.REFUSED) {
      lastRefused = r;
      log.warn("reload {}", r);
    }
    return r;
  }

  // ---- what the admin endpoints read ----

  public ProxyConfig config() {
    return snapshot.config();
  }

  /** The running configuration version (1 at start). */
  public long version() {
    return snapshot == null ? 0 : snapshot.version();
  }

  /** The last reload's result, or null. */
  public ReloadResult lastReload() {
    return lastReload;
  }

  /** The last refused reload, or null. */
  public ReloadResult lastRefused() {
    return lastRefused;
  }

  public Stats stats() {
    return stats;
  }

  /** Serving; with xDS, also the first resources applied (or the initial fetch timed out). */
  public boolean ready() {
    XdsClient x = xds;
    return ready && (x == null || x.initialized());
  }

  ClusterManager clusterManager() {
    return clusters;
  }

  /** The bound address of the listener named {@code name}. */
  public synchronized InetSocketAddress listenerAddress(String name) {
    Listener l = listeners.get(name);
    if (l == null) {
      throw new IllegalArgumentException("no listener " + name);
    }
    return l.localAddress();
  }

  /** The admin endpoint's bound address, or null when disabled. */
  public InetSocketAddress adminAddress() {
    return admin == null ? null : admin.localAddress();
  }

  /**
   * Drains every listener (SIGTERM): stops accepting, tells clients to go elsewhere (Dubbo's
   * READONLY event), answers every request read — from the upstream or, at the listener's
   * {@code drain_timeout}, with the codec's error — then closes everything. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ready = false;
    if (watcher != null) {
      watcher.close();
    }
    if (xds != null) {
      xds.close();
    }
    List<Listener> all;
    synchronized (this) {
      all = new ArrayList<>(listeners.values());
      all.addAll(draining);
    }
    long longest = 0;
    for (Listener l : all) {
      long timeout = l.current().config().drainTimeout().toNanos();
      l.drain(timeout);
      longest = Math.max(longest, timeout);
    }
    // The drain answers what is left at its timeout; its answers then need a moment to be written.
    long deadline = System.nanoTime() + longest + TimeUnit.SECONDS.toNanos(1);
    while (all.stream().anyMatch(l -> !l.drained()) && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (admin != null) {
      admin.close();
    }
    reloader.shutdownNow();
    if (clusters != null) {
      clusters.close().join();
    }
    Snapshot s = snapshot;
    if (s != null) {
      List<Object> everything = new ArrayList<>();
      s.filters().values().forEach(everything::addAll);
      SnapshotBuilder.closeAll(everything);
    }
    if (group != null) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (adminGroup != null) {
      adminGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}

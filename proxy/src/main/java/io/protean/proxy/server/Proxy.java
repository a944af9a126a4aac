package io.protean.proxy.server;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.filter.FilterFactory;
import io.protean.proxy.admin.AdminServer;
import io.protean.proxy.codec.CodecRegistry;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.filter.FilterRegistry;
import io.protean.proxy.listener.Listener;
import io.protean.proxy.observability.ListenerStats;
import io.protean.proxy.observability.Stats;
import io.protean.proxy.cluster.Cluster;
import io.protean.proxy.loop.Worker;
import io.protean.wasm.codec.WasmCodecFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: one event loop group serving all listeners, their upstream pools and the admin
 * endpoint. {@link #start} binds everything or fails; {@link #close} stops everything.
 */
public final class Proxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Proxy.class);

  private final ProxyConfig config;
  private final Stats stats = new Stats();
  private final Transport transport = Transport.best();
  private final List<Listener> listeners = new ArrayList<>();
  private final Map<String, Cluster> clusters = new LinkedHashMap<>();
  private final Map<EventLoop, Worker> workers = new IdentityHashMap<>();
  private final Map<String, CodecFactory> listenerCodecs = new LinkedHashMap<>();
  private EventLoopGroup group;
  private AdminServer admin;
  private volatile boolean ready;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private Proxy(ProxyConfig config) {
    this.config = config;
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
   * @throws io.protean.proxy.config.model.ConfigException naming the field
   */
  public static void validate(ProxyConfig config) {
    CodecRegistry codecs = new CodecRegistry();
    FilterRegistry filters = new FilterRegistry();
    for (int i = 0; i < config.listeners().size(); i++) {
      ListenerConfig l = config.listeners().get(i);
      codecs.create(l.codec(), "listeners[" + i + "].codec");
      for (int f = 0; f < l.filters().size(); f++) {
        filters.create(l.filters().get(f), "listeners[" + i + "].filters[" + f + "]").close();
      }
    }
  }

  /** Builds, binds and starts a proxy. On failure everything already started is stopped. */
  public static Proxy start(ProxyConfig config) throws InterruptedException {
    Proxy proxy = new Proxy(config);
    try {
      proxy.doStart();
      return proxy;
    } catch (RuntimeException | InterruptedException e) {
      proxy.close();
      throw e;
    }
  }

  private void doStart() throws InterruptedException {
    CodecRegistry codecs = new CodecRegistry();
    FilterRegistry filterRegistry = new FilterRegistry();

    // Each listener's codec; a cluster speaks the codec of the listeners that route to it.
    Map<String, CodecFactory> clusterCodecs = new LinkedHashMap<>();
    for (int i = 0; i < config.listeners().size(); i++) {
      ListenerConfig l = config.listeners().get(i);
      CodecFactory codec = codecs.create(l.codec(), "listeners[" + i + "].codec");
      listenerCodecs.put(l.name(), codec);
      for (RouteConfig r : l.routes()) {
        clusterCodecs.putIfAbsent(r.cluster(), codec);
      }
    }
    for (ClusterConfig c : config.clusters()) {
      CodecFactory codec = clusterCodecs.get(c.name());
      if (codec != null) {
        clusters.put(c.name(), new Cluster(c, codec, stats, transport.channel()));
      } else {
        log.warn("cluster {} is not used by any route", c.name());
      }
    }

    group = transport.newGroup(config.workers(), "protean-worker");
    for (EventExecutor e : group) {
      workers.put((EventLoop) e, new Worker((EventLoop) e, clusters.values()));
    }

    for (int i = 0; i < config.listeners().size(); i++) {
      ListenerConfig l = config.listeners().get(i);
      List<FilterFactory> filters = new ArrayList<>();
      for (int f = 0; f < l.filters().size(); f++) {
        filters.add(filterRegistry.create(l.filters().get(f), "listeners[" + i + "].filters[" + f + "]"));
      }
      prepareLoops(listenerCodecs.get(l.name())::prepareThread);
      for (FilterFactory f : filters) {
        prepareLoops(f::prepareThread);
      }
      Listener listener = new Listener(l, listenerCodecs.get(l.name()), filters,
          new ListenerStats(stats, l.name()));
      listeners.add(listener);
      listener.bind(group, transport.serverChannel(), workers);
      log.info("listener {} ({}) on {}", l.name(), l.codec().name(), listener.localAddress());
    }
    if (config.admin() != null) {
      admin = new AdminServer(this);
      admin.bind(group, transport.serverChannel(), config.admin().address().toAddress());
      log.info("admin on http://{}/", admin.localAddress().getHostString() + ":"
          + admin.localAddress().getPort());
    }
    ready = true;
    log.info("protean ready: {} workers, {} transport, {} listeners, {} clusters",
        config.workers(), transport.name(), listeners.size(), clusters.size());
  }

  /** Runs {@code task} on every event loop and waits: per-loop resources exist before traffic. */
  private void prepareLoops(Runnable task) throws InterruptedException {
    for (Worker w : workers.values()) {
      w.loop().submit(task).sync();
    }
  }

  public ProxyConfig config() {
    return config;
  }

  public Stats stats() {
    return stats;
  }

  public boolean ready() {
    return ready;
  }

  /** The bound address of the listener named {@code name}. */
  public InetSocketAddress listenerAddress(String name) {
    return listeners.stream().filter(l -> l.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no listener " + name)).localAddress();
  }

  /** The admin endpoint's bound address, or null when disabled. */
  public InetSocketAddress adminAddress() {
    return admin == null ? null : admin.localAddress();
  }

  /**
   * Reloads every Wasm codec from its file (admin {@code POST /reload}). Each new module is
   * validated before it replaces the old one; a refused module leaves its listener unchanged.
   *
   * @return one line per Wasm codec: "reloaded" or the reason it was refused
   */
  public List<String> reloadWasm() {
    List<String> results = new ArrayList<>();
    listenerCodecs.forEach((listener, codec) -> {
      if (codec instanceof WasmCodecFactory wasm && wasm.reloadable()) {
        try {
          wasm.reload();
          results.add("listener " + listener + ": reloaded " + wasm.moduleName());
        } catch (RuntimeException e) {
          log.warn("listener {}: wasm reload refused: {}", listener, e.getMessage());
          results.add("listener " + listener + ": refused, still running the previous module: "
              + e.getMessage());
        }
      }
    });
    return results;
  }

  /** How long {@link #close()} waits for requests in flight to be answered. */
  static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

  /**
   * Stops accepting connections, lets the requests in flight finish (up to 5 s), then closes
   * everything. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ready = false;
    listeners.forEach(Listener::close);
    long deadline = System.nanoTime() + DRAIN_NANOS;
    while (listeners.stream().mapToLong(Listener::activeRequests).sum() > 0
        && System.nanoTime() - deadline < 0) {
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
    if (group != null) {
      for (Worker w : workers.values()) {
        w.loop().execute(w::closePools);
      }
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}

package io.protean.proxy.config.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.generic_proxy.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.cluster.v3.ClusterDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.envoyproxy.envoy.service.endpoint.v3.EndpointDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.listener.v3.ListenerDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.route.v3.RouteDiscoveryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.config.model.ProxyConfig.XdsConfig;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The xDS client (state of the world): subscribes to listeners and clusters (wildcard), then to
 * the generic_proxy routes and cluster endpoints they name; each response is translated and
 * applied as a whole with the file's static resources, then ACKed, or NACKed with the field at
 * fault while the last accepted resources keep serving. While the server is away the proxy keeps
 * what it has and reconnects with a jittered exponential backoff, trying the servers in turn.
 *
 * <p>Everything but the gRPC transport runs on one thread ({@code protean-xds}), so the state
 * needs no locks and the event loops never wait for it.
 */
public final class XdsClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XdsClient.class);
  static final long BACKOFF_BASE_MS = 500;
  static final long BACKOFF_MAX_MS = 30_000;

  /** Where the assembled resources go: the proxy, which applies them with its static ones. */
  public interface Sink {
    /**
     * Applies {@code listeners} and {@code clusters} (every dynamic resource that is ready).
     *
     * @throws ConfigException naming the resource and field when the proxy refuses them
     */
    void apply(List<ListenerConfig> listeners, List<ClusterConfig> clusters);

    /** The configuration file's resources, which the dynamic ones join (names must differ). */
    ProxyConfig file();
  }

  private final XdsConfig config;
  private final Sink sink;
  private final Node node;
  private final ScheduledExecutorService executor;
  private final Map<String, TypeState> types = new LinkedHashMap<>();
  private final Assembler assembler;
  private ManagedChannel channel;
  private final Map<String, StreamObserver<DiscoveryRequest>> streams = new HashMap<>();
  private final Map<String, StreamObserver<DeltaDiscoveryRequest>> deltaStreams = new HashMap<>();
  /** Bumped per connection, so callbacks of an old stream are ignored. */
  private int generation;
  private int failures;
  private int serverIndex;
  private boolean closed;
  /** Set once every type has had a response applied, or the initial fetch timed out. */
  private volatile boolean initialized;

  public XdsClient(XdsConfig config, Sink sink) {
    this.config = config;
    this.sink = sink;
    this.assembler = new Assembler(config.initialFetchTimeout(), sink);
    Struct.Builder metadata = Struct.newBuilder();
    config.node().metadata().forEach((k, v) ->
        metadata.putFields(k, Value.newBuilder().setStringValue(v).build()));
    this.node = Node.newBuilder().setId(config.node().id()).setCluster(config.node().cluster())
        .setMetadata(metadata).setUserAgentName("protean").build();
    ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "protean-xds");
      t.setDaemon(true);
      return t;
    });
    e.setRemoveOnCancelPolicy(true);
    this.executor = e;
    if (config.clusters()) {
      types.put(EnvoyResources.CLUSTER, new TypeState(EnvoyResources.CLUSTER, true));
      types.put(EnvoyResources.ENDPOINTS, new TypeState(EnvoyResources.ENDPOINTS, false));
    }
    if (config.listeners()) {
      types.put(EnvoyResources.LISTENER, new TypeState(EnvoyResources.LISTENER, true));
      types.put(EnvoyResources.GENERIC_ROUTES, new TypeState(EnvoyResources.GENERIC_ROUTES, false));
      types.put(AerakiResources.ROUTES, new TypeState(AerakiResources.ROUTES, false));
    }
  }

  /** Connects and subscribes; returns at once (resources apply as they arrive). */
  public void start() {
    executor.execute(this::connect);
    executor.schedule(() -> {
      if (!initialized) {
        initialized = true;
        log.warn("xDS: no complete set of resources within the initial fetch timeout; serving what"
            + " has arrived");
      }
    }, config.initialFetchTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Whether the first resources have been applied (then {@code /ready} says so). */
  public boolean initialized() {
    return initialized;
  }

  /** One type's subscription and the last resources accepted for it. */
  static final class TypeState {
    final String url;
    /** Listeners and clusters are subscribed as a wildcard; their responses hold every resource. */
    final boolean wildcard;
    Map<String, Any> resources = new LinkedHashMap<>();
    /** Delta xDS: each accepted resource's version, sent back on reconnect. */
    Map<String, String> resourceVersions = new LinkedHashMap<>();
    Set<String> names = new LinkedHashSet<>();
    String version = "";
    String nonce = "";
    String lastError;
    /** The version last rejected and how often in a row: a server that resends it waits. */
    String rejectedVersion;
    int rejections;
    /** Whether a response of this type has been accepted. */
    boolean answered;

    TypeState(String url, boolean wildcard) {
      this.url = url;
      this.wildcard = wildcard;
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    generation++;
    int gen = generation;
    HostPort server = config.servers().get(serverIndex % config.servers().size());
    if (channel != null) {
      channel.shutdownNow();
    }
    channel = NettyChannelBuilder.forAddress(server.host(), server.port()).usePlaintext()
        .keepAliveTime(30, TimeUnit.SECONDS).build();
    streams.clear();
    deltaStreams.clear();
    log.info("xDS: connecting to {} ({}, {})", server, config.ads() ? "ADS" : "one stream per type",
        config.delta() ? "incremental" : "state of the world");
    if (config.delta()) {
      Responses<DeltaDiscoveryResponse> responses = new Responses<>(gen, this::handleDelta);
      StreamObserver<DeltaDiscoveryRequest> ads = config.ads()
          ? AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(responses) : null;
      for (String url : types.keySet()) {
        deltaStreams.put(url, ads != null ? ads
            : openDeltaTypeStream(url, new Responses<>(gen, this::handleDelta)));
      }
    } else {
      StreamObserver<DiscoveryRequest> ads = config.ads() ? AggregatedDiscoveryServiceGrpc
          .newStub(channel).streamAggregatedResources(new Responses<>(gen, this::handle)) : null;
      for (String url : types.keySet()) {
        streams.put(url, ads != null ? ads : openTypeStream(url, new Responses<>(gen, this::handle)));
      }
    }
    for (TypeState t : types.values()) {
      t.nonce = "";
      if (config.delta()) {
        // A new delta stream starts from nothing: subscribe again, saying what is held.
        if (t.wildcard || !t.names.isEmpty()) {
          sendDelta(t, t.wildcard ? List.of("*") : List.copyOf(t.names), List.of(), null,
              t.resourceVersions);
        }
      } else if (t.wildcard || !t.names.isEmpty()) {
        send(t, t.version, null);
      }
    }
  }

  private StreamObserver<DeltaDiscoveryRequest> openDeltaTypeStream(String url,
      Responses<DeltaDiscoveryResponse> r) {
    return switch (url) {
      case EnvoyResources.CLUSTER -> ClusterDiscoveryServiceGrpc.newStub(channel).deltaClusters(r);
      case EnvoyResources.ENDPOINTS -> EndpointDiscoveryServiceGrpc.newStub(channel).deltaEndpoints(r);
      case EnvoyResources.LISTENER -> ListenerDiscoveryServiceGrpc.newStub(channel).deltaListeners(r);
      default -> RouteDiscoveryServiceGrpc.newStub(channel).deltaRoutes(r);
    };
  }

  private StreamObserver<DiscoveryRequest> openTypeStream(String url,
      Responses<DiscoveryResponse> r) {
    return switch (url) {
      case EnvoyResources.CLUSTER -> ClusterDiscoveryServiceGrpc.newStub(channel).streamClusters(r);
      case EnvoyResources.ENDPOINTS -> EndpointDiscoveryServiceGrpc.newStub(channel).streamEndpoints(r);
      case EnvoyResources.LISTENER -> ListenerDiscoveryServiceGrpc.newStub(channel).streamListeners(r);
      default -> RouteDiscoveryServiceGrpc.newStub(channel).streamRoutes(r);
    };
  }

  /** Receives one stream's responses; hands each to the xDS thread. */
  private final class Responses<R> implements StreamObserver<R> {
    private final int gen;
    private final java.util.function.Consumer<R> handler;

    Responses(int gen, java.util.function.Consumer<R> handler) {
      this.gen = gen;
      this.handler = handler;
    }

    @Override
    public void onNext(R r) {
      run(() -> {
        if (gen == generation) {
          failures = 0;
          handler.accept(r);
        }
      });
    }

    @Override
    public void onError(Throwable t) {
      run(() -> lost(gen, t.toString()));
    }

    @Override
    public void onCompleted() {
      run(() -> lost(gen, "the server ended the stream"));
    }

    private void run(Runnable task) {
      try {
        executor.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed: the stream's last words do not matter
      }
    }
  }

  private void lost(int gen, String why) {
    if (gen != generation || closed) {
      return;
    }
    generation++; // the other streams of this connection are dropped with it
    failures++;
    serverIndex++;
    long delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(failures - 1, 16));
    delay = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    log.warn("xDS: stream lost ({}); keeping the last accepted resources, reconnecting in {} ms",
        why, delay);
    executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /** An ACK (no error) or NACK of the last response, or a (re)subscription. */
  private void send(TypeState t, String version, Status error) {
    if (config.delta()) {
      sendDelta(t, List.of(), List.of(), error, Map.of());
      return;
    }
    DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(t.url)
        .setVersionInfo(version).setResponseNonce(t.nonce).addAllResourceNames(t.names);
    if (error != null) {
      b.setErrorDetail(error);
    }
    StreamObserver<DiscoveryRequest> s = streams.get(t.url);
    if (s != null) {
      s.onNext(b.build());
    }
  }

  private void sendDelta(TypeState t, List<String> subscribe, List<String> unsubscribe,
      Status error, Map<String, String> initialVersions) {
    DeltaDiscoveryRequest.Builder b = DeltaDiscoveryRequest.newBuilder().setNode(node)
        .setTypeUrl(t.url).setResponseNonce(t.nonce).addAllResourceNamesSubscribe(subscribe)
        .addAllResourceNamesUnsubscribe(unsubscribe).putAllInitialResourceVersions(initialVersions);
    if (error != null) {
      b.setErrorDetail(error);
    }
    StreamObserver<DeltaDiscoveryRequest> s = deltaStreams.get(t.url);
    if (s != null) {
      s.onNext(b.build());
    }
  }

  /** Delta: the response adds, replaces and removes resources by name. */
  private void handleDelta(DeltaDiscoveryResponse r) {
    TypeState t = types.get(r.getTypeUrl());
    if (t == null) {
      log.warn("xDS: ignoring a response of type {}, which was not asked for", r.getTypeUrl());
      return;
    }
    t.nonce = r.getNonce();
    Map<String, Any> candidate = new LinkedHashMap<>(t.resources);
    Map<String, String> versions = new LinkedHashMap<>(t.resourceVersions);
    try {
      for (int i = 0; i < r.getResourcesCount(); i++) {
        Resource res = r.getResources(i);
        String at = shortType(t.url) + " resources[" + i + "]";
        Any any = res.getResource();
        if (!any.getTypeUrl().equals(t.url)) {
          throw new ConfigException(at, "expected " + t.url + ", found " + any.getTypeUrl());
        }
        String name = name(t.url, any);
        if (!res.getName().isEmpty() && !res.getName().equals(name)) {
          throw new ConfigException(at + " name", "'" + res.getName() + "' names a resource whose"
              + " own name is '" + name + "'");
        }
        candidate.put(name, any);
        versions.put(name, res.getVersion());
      }
    } catch (InvalidProtocolBufferException e) {
      nack(t, r.getSystemVersionInfo(), new ConfigException(shortType(t.url), "does not parse: "
          + e.getMessage()));
      return;
    } catch (ConfigException e) {
      nack(t, r.getSystemVersionInfo(), e);
      return;
    }
    for (String removed : r.getRemovedResourcesList()) {
      candidate.remove(removed);
      versions.remove(removed);
    }
    if (accept(t, candidate, r.getSystemVersionInfo())) {
      t.resourceVersions = versions;
    }
  }

  private void handle(DiscoveryResponse r) {
    TypeState t = types.get(r.getTypeUrl());
    if (t == null) {
      log.warn("xDS: ignoring a response of type {}, which was not asked for", r.getTypeUrl());
      return;
    }
    t.nonce = r.getNonce();
    Map<String, Any> candidate;
    try {
      candidate = decode(t, r);
    } catch (ConfigException e) {
      nack(t, r.getVersionInfo(), e);
      return;
    }
    accept(t, candidate, r.getVersionInfo());
  }

  /** Applies {@code candidate} as the type's resources: ACKs, or NACKs and keeps the old ones. */
  private boolean accept(TypeState t, Map<String, Any> candidate, String version) {
    Map<String, Any> previous = t.resources;
    t.resources = candidate;
    try {
      apply();
    } catch (ConfigException e) {
      t.resources = previous;
      nack(t, version, e);
      return false;
    }
    t.version = version;
    t.lastError = null;
    t.rejectedVersion = null;
    t.answered = true;
    send(t, t.version, null); // ACK
    subscribe();
    if (!initialized && types.values().stream().allMatch(s -> s.answered
        || (!s.wildcard && s.names.isEmpty()))) {
      initialized = true;
      log.info("xDS: initial resources applied");
    }
    return true;
  }

  private void nack(TypeState t, String version, ConfigException e) {
    String message = e.path() + ": " + e.problem();
    t.lastError = message;
    t.rejections = version.equals(t.rejectedVersion) ? t.rejections + 1 : 0;
    t.rejectedVersion = version;
    Status status = Status.newBuilder().setCode(Code.INVALID_ARGUMENT_VALUE).setMessage(message)
        .build();
    if (t.rejections == 0) {
      log.warn("xDS: rejected {} version {}: {}", shortType(t.url), version, message);
      send(t, t.version, status);
      return;
    }
    // Some servers (java-control-plane) answer a NACK with the same version at once: the NACK
    // of a version rejected before waits, so the two sides do not spin.
    long delay = Math.min(BACKOFF_MAX_MS, 1000L << Math.min(t.rejections - 1, 5));
    int gen = generation;
    String nonce = t.nonce;
    executor.schedule(() -> {
      if (gen == generation && nonce.equals(t.nonce)) {
        send(t, t.version, status);
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  /** The resources a response leaves: all of them for a wildcard type, else merged by name. */
  private static Map<String, Any> decode(TypeState t, DiscoveryResponse r) {
    Map<String, Any> m = t.wildcard ? new LinkedHashMap<>() : new LinkedHashMap<>(t.resources);
    for (int i = 0; i < r.getResourcesCount(); i++) {
      Any any = r.getResources(i);
      String at = shortType(t.url) + " resources[" + i + "]";
      try {
        if (any.is(Resource.class)) {
          any = any.unpack(Resource.class).getResource();
        }
        if (!any.getTypeUrl().equals(t.url)) {
          throw new ConfigException(at, "expected " + t.url + ", found " + any.getTypeUrl());
        }
        String name = name(t.url, any);
        if (!t.wildcard && !t.names.contains(name)) {
          continue; // not (or no longer) asked for
        }
        if (m.put(name, any) != null && t.wildcard) {
          throw new ConfigException(at, "a second resource named '" + name + "'");
        }
      } catch (InvalidProtocolBufferException e) {
        throw new ConfigException(at, "does not parse: " + e.getMessage());
      }
    }
    return m;
  }

  private static String name(String url, Any any) throws InvalidProtocolBufferException {
    return switch (url) {
      case EnvoyResources.LISTENER -> any.unpack(Listener.class).getName();
      case EnvoyResources.CLUSTER -> any.unpack(Cluster.class).getName();
      case EnvoyResources.ENDPOINTS -> any.unpack(ClusterLoadAssignment.class).getClusterName();
      case AerakiResources.ROUTES ->
          any.unpack(io.protean.proxy.config.xds.aeraki.route.RouteConfiguration.class).getName();
      default -> any.unpack(RouteConfiguration.class).getName();
    };
  }

  static String shortType(String url) {
    return url.substring(url.lastIndexOf('.') + 1);
  }

  /** Assembles what is ready from every type and applies it. */
  private void apply() {
    Map<String, Any> routes = new HashMap<>();
    for (String url : List.of(EnvoyResources.GENERIC_ROUTES, AerakiResources.ROUTES)) {
      resources(url).forEach((name, any) -> routes.put(url + "|" + name, any));
    }
    Assembler.Result result = assembler.assemble(resources(EnvoyResources.LISTENER),
        routes, resources(EnvoyResources.CLUSTER),
        resources(EnvoyResources.ENDPOINTS), System.nanoTime());
    sink.apply(List.copyOf(result.listeners().values()), List.copyOf(result.clusters().values()));
    assembler.served(result);
    if (result.nextDeadline() != 0) {
      long delay = Math.max(0, result.nextDeadline() - System.nanoTime());
      executor.schedule(this::reassemble, delay, TimeUnit.NANOSECONDS);
    }
  }

  private Map<String, Any> resources(String url) {
    TypeState t = types.get(url);
    return t == null ? Map.of() : t.resources;
  }

  /** After an initial-fetch timeout: serves what waited for a resource that did not come. */
  private void reassemble() {
    if (closed) {
      return;
    }
    try {
      apply();
    } catch (ConfigException e) {
      log.warn("xDS: the resources that waited could not be applied: {}: {}", e.path(), e.problem());
    }
  }

  /** Asks for the routes and endpoints the accepted listeners and clusters name. */
  private void subscribe() {
    resubscribe(EnvoyResources.ENDPOINTS, () -> assembler.edsNames(resources(EnvoyResources.CLUSTER)));
    for (String url : List.of(EnvoyResources.GENERIC_ROUTES, AerakiResources.ROUTES)) {
      resubscribe(url, () -> assembler.rdsNames(resources(EnvoyResources.LISTENER), url));
    }
  }

  private void resubscribe(String url, Supplier<Set<String>> wanted) {
    TypeState t = types.get(url);
    if (t == null) {
      return;
    }
    Set<String> names = wanted.get();
    if (names.equals(t.names)) {
      return;
    }
    Set<String> added = new LinkedHashSet<>(names);
    added.removeAll(t.names);
    Set<String> removed = new LinkedHashSet<>(t.names);
    removed.removeAll(names);
    t.names = names;
    t.resources.keySet().retainAll(names);
    t.resourceVersions.keySet().retainAll(names);
    if (config.delta()) {
      assembler.subscribed(url, names, System.nanoTime());
      String nonce = t.nonce;
      t.nonce = ""; // a subscription change answers no response
      sendDelta(t, List.copyOf(added), List.copyOf(removed), null, Map.of());
      t.nonce = nonce;
      if (!added.isEmpty()) {
        executor.schedule(this::reassemble, config.initialFetchTimeout().toNanos(),
            TimeUnit.NANOSECONDS);
      }
      return;
    }
    assembler.subscribed(url, names, System.nanoTime());
    if (!names.isEmpty()) { // an empty list would be a wildcard subscription
      send(t, t.version, null);
      // What waits for these is served without them once the initial-fetch timeout passes.
      executor.schedule(this::reassemble, config.initialFetchTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Per type: version, nonce and the last rejection (for the admin page and tests). */
  public Map<String, Map<String, String>> status() {
    try {
      return executor.submit(() -> {
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        for (TypeState t : types.values()) {
          Map<String, String> s = new LinkedHashMap<>();
          s.put("version", t.version);
          s.put("resources", String.valueOf(t.resources.size()));
          if (t.lastError != null) {
            s.put("last_rejection", t.lastError);
          }
          m.put(shortType(t.url), s);
        }
        return m;
      }).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      return Map.of("error", Map.of("status", e.toString()));
    }
  }

  @Override
  public void close() {
    executor.execute(() -> {
      closed = true;
      java.util.stream.Stream.concat(streams.values().stream(), deltaStreams.values().stream())
          .distinct().forEach(s -> {
        try {
          s.onCompleted();
        } catch (RuntimeException ignored) {
          // the stream is already gone
        }
      });
      if (channel != null) {
        channel.shutdownNow();
      }
    });
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

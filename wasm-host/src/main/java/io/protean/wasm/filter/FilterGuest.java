package io.protean.wasm.filter;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.ThreadExecutorMap;
import io.protean.abi.HttpCallouts;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.Metadata;
import io.protean.abi.filter.FilterContext;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestFunction;
import io.protean.wasm.guest.GuestInstance;
import io.protean.wasm.guest.GuestMemory;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.GuestTrap;
import io.protean.wasm.guest.HostFunctionDef;
import io.protean.wasm.module.HostCalls;
import io.protean.wasm.module.ModuleMetrics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxy-wasm 0.2.1 filter instance on one event loop: its root context (with its tick timer
 * and the shared queues it owns), the HTTP contexts of the requests in flight, and the host
 * functions, which see an RPC request's metadata as the HTTP request header map and its
 * response's as the response header map. Every guest pointer is checked; a bad one gets status 6
 * (InvalidMemoryAccess), never an exception. Confined to its loop: ticks and queue notices are
 * delivered there.
 */
final class FilterGuest implements AutoCloseable {
  static final int ROOT_CONTEXT = 1;
  private static final int OK = HostCalls.OK;
  private static final int NOT_FOUND = HostCalls.NOT_FOUND;
  private static final int BAD_ARGUMENT = HostCalls.BAD_ARGUMENT;
  // proxy-wasm map and buffer types
  private static final int REQUEST_HEADERS = 0;
  private static final int RESPONSE_HEADERS = 2;
  private static final int VM_CONFIGURATION = 6;
  private static final int PLUGIN_CONFIGURATION = 7;
  private static final int HTTP_CALL_RESPONSE_HEADERS = 6;
  private static final int REQUEST_BODY = 0;
  private static final int RESPONSE_BODY = 1;
  private static final int HTTP_CALL_RESPONSE_BODY = 4;
  private static final int INTERNAL_FAILURE = 10;

  private final WasmFilterFactory factory;
  private final Logger log;
  private final WasmLimits limits;
  private final GuestInstance instance;
  private final GuestMemory memory;
  private final GuestFunction allocate;
  private final GuestFunction contextCreate;
  private final GuestFunction requestHeaders;
  private final GuestFunction responseHeaders;
  private final GuestFunction requestBody;
  private final GuestFunction responseBody;
  private final GuestFunction done;
  private final GuestFunction onLog;
  private final GuestFunction delete;
  private final GuestFunction onTick;
  private final GuestFunction onQueueReady;
  private final GuestFunction onHttpCallResponse;
  /** Callouts in flight: token to the id of the context that made it. */
  private final Map<Integer, Integer> callouts = new HashMap<>();
  private int nextToken = 1;
  /** The callout response being delivered (map 6, buffer 4), or null. */
  private HttpCallouts.Response calloutResponse;
  /** The event loop this instance serves; null for a throw-away one made off the loops. */
  private final EventExecutor loop = ThreadExecutorMap.currentExecutor();
  private ScheduledFuture<?> tick;
  /** The last error or critical message the guest logged (an SDK's panic message), or null. */
  private String lastError;
  private final Map<Integer, HttpContext> contexts = new HashMap<>();
  private int nextContext = ROOT_CONTEXT + 1;
  /** The context host calls act on (set around each callback, or by proxy_set_effective_context). */
  private HttpContext current;
  /**
   * A local response the guest asked for during the current callback. Answering it at once would
   * complete the request and call proxy_on_done while the guest is still inside its callback (the
   * SDKs do not allow that re-entry), so it is applied when the callback returns.
   */
  private String pendingLocalReply;
  boolean dead;
  private boolean closed;
  /** No longer its loop's instance (a reload or release): closed when its last request completes. */
  private boolean retired;
  /** The module this instance was made from (a reload makes a new one). */
  final GuestModule module;
  /** Where this instance is counted; null for a throw-away instance that validates a module. */
  private final ModuleMetrics metrics;

  /**
   * @param metrics where a serving instance is counted from creation to close; null for a
   *                throw-away one
   */
  FilterGuest(WasmFilterFactory factory, GuestModule module, ModuleMetrics metrics) {
    this.factory = factory;
    this.metrics = metrics;
    this.module = module;
    this.log = LoggerFactory.getLogger("wasm." + module.name());
    this.limits = module.limits();
    this.instance = module.instantiate(hostFunctions(module));
    try {
      this.memory = instance.memory();
      GuestFunction malloc = instance.function("malloc");
      this.allocate = malloc != null ? malloc : instance.function("proxy_on_memory_allocate");
      this.contextCreate = instance.function("proxy_on_context_create");
      this.requestHeaders = instance.function("proxy_on_request_headers");
      this.responseHeaders = instance.function("proxy_on_response_headers");
      this.requestBody = factory.bodies() ? instance.function("proxy_on_request_body") : null;
      this.responseBody = factory.bodies() ? instance.function("proxy_on_response_body") : null;
      this.done = instance.function("proxy_on_done");
      this.onLog = instance.function("proxy_on_log");
      this.delete = instance.function("proxy_on_delete");
      this.onTick = instance.function("proxy_on_tick");
      this.onQueueReady = instance.function("proxy_on_queue_ready");
      this.onHttpCallResponse = instance.function("proxy_on_http_call_response");
      if (allocate == null || contextCreate == null) {
        throw new IllegalArgumentException(module.name() + " lacks malloc/proxy_on_memory_allocate "
            + "or proxy_on_context_create");
      }
      contextCreate.call(ROOT_CONTEXT, 0);
      GuestFunction vmStart = instance.function("proxy_on_vm_start");
      if (vmStart != null && vmStart.call(ROOT_CONTEXT, 0)[0] == 0) {
        throw new IllegalArgumentException(module.name() + ": proxy_on_vm_start returned false");
      }
      GuestFunction configure = instance.function("proxy_on_configure");
      if (configure != null && configure.call(ROOT_CONTEXT, factory.pluginConfig().length)[0] == 0) {
        throw new IllegalArgumentException(module.name() + ": proxy_on_configure returned false "
            + "(the filter refused its configuration)");
      }
      instance.started();
    } catch (RuntimeException e) {
      stopTicks(); // on_vm_start may have started them
      factory.queues().forget(this);
      instance.close();
      throw e;
    }
    if (metrics != null) {
      metrics.instanceCreated();
    }
  }

  /** The local response asked for during the last callback, or null; clears it. */
  String takeLocalReply() {
    String r = pendingLocalReply;
    pendingLocalReply = null;
    return r;
  }

  /**
   * Whether the module can make an HTTP context: tried once on a throw-away instance. A
   * root-only plugin (the Rust SDK's hello_world: a root context and no HTTP context) traps
   * there with the SDK's panic message naming the missing context type; such a filter runs its
   * root context only (vm start, configure, ticks, queues) and lets every request through, as
   * Envoy runs it as a singleton service. Any other trap is the module's fault and refuses it.
   *
   * @return false for a root-only plugin
   * @throws IllegalArgumentException naming the trap, for any other failure
   */
  boolean makesHttpContexts() {
    try {
      contextCreate.call(ROOT_CONTEXT + 1, ROOT_CONTEXT);
      return true;
    } catch (GuestTrap e) {
      String said = lastError == null ? "" : lastError;
      if (said.contains("ContextType") || said.contains("missing constructors")) {
        return false;
      }
      throw new IllegalArgumentException(module.name() + ": proxy_on_context_create traps for an "
          + "HTTP context (" + e.getMessage() + (said.isEmpty() ? "" : "; the module logged: " + said)
          + ")", e);
    }
  }

  /** One request's HTTP context: its filter context, and whether its request is still open. */
  private static final class HttpContext {
    final FilterContext filter;
    /** The request has gone upstream (its response or its end has come): its metadata is final. */
    boolean forwarded;
    /** The response's metadata, status and size once it came (kept for on_log, after it went downstream). */
    Metadata responseMetadata;
    String responseStatus;
    int responseSize = -1;

    final int id;

    HttpContext(int id, FilterContext filter) {
      this.id = id;
      this.filter = filter;
    }
  }

  /** Starts a request's HTTP context and runs on_request_headers; returns the proxy-wasm action. */
  int onRequest(int id, FilterContext ctx) {
    HttpContext http = new HttpContext(id, ctx);
    contexts.put(id, http);
    current = http;
    contextCreate.call(id, ROOT_CONTEXT);
    int action = requestHeaders == null ? 0
        : (int) requestHeaders.call(id, ctx.request().metadata().size(), requestBody == null ? 1 : 0)[0];
    return action == 0 ? body(requestBody, id, ctx.request()) : action;
  }

  /**
   * The body callback with the frame's bytes, read-only (proxy_get_buffer_bytes 0 or 1), when the
   * filter's {@code body} option is on, the headers callback continued and answered nothing, and
   * the frame is within max_block_bytes (a larger one is not offered: logged at debug).
   */
  private int body(GuestFunction callback, int id, Frame frame) {
    if (callback == null || pendingLocalReply != null) {
      return 0;
    }
    int size = frame.content().readableBytes();
    if (size > limits.maxBlockBytes()) {
      log.debug("body of {} bytes not offered to the filter: over max_block_bytes {}", size,
          limits.maxBlockBytes());
      return 0;
    }
    return (int) callback.call(id, size, 1)[0];
  }

  int onResponse(int id, FilterContext ctx) {
    HttpContext http = contexts.get(id);
    http.forwarded = true;
    Frame response = ctx.response();
    if (response != null) {
      http.responseMetadata = response.metadata();
      http.responseStatus = response.responseStatus();
      http.responseSize = response.length();
    }
    current = http;
    int action = responseHeaders == null ? 0
        : (int) responseHeaders.call(id, ctx.response().metadata().size(), responseBody == null ? 1 : 0)[0];
    return action == 0 && response != null ? body(responseBody, id, response) : action;
  }

  /**
   * The request is over (answered, answered locally, failed, or its client went away):
   * proxy_on_done, proxy_on_log, proxy_on_delete, in Envoy's order. During on_log the request's
   * metadata, the response's (when one came) and the properties are readable.
   */
  void onComplete(int id) {
    current = contexts.get(id);
    current.forwarded = true;
    try {
      if (done != null) {
        done.call(id);
      }
      if (onLog != null) {
        onLog.call(id);
      }
      if (delete != null) {
        delete.call(id);
      }
    } finally {
      contexts.remove(id);
      current = null;
    }
    if (retired && contexts.isEmpty()) {
      close();
    }
  }

  /**
   * Takes no new requests: closes now if none is in flight, else when the last completes (each
   * request finishes on the instance that saw it: its context lives here).
   */
  void retire() {
    retired = true;
    stopTicks(); // out of service: its root context hears no more ticks
    if (contexts.isEmpty()) {
      close();
    }
  }

  int newContextId() {
    return nextContext++;
  }

  // ---- root context: ticks and queues ----

  /** proxy_set_tick_period_milliseconds: 0 stops the ticks, anything else (re)starts them. */
  private int setTickPeriod(int millis) {
    stopTicks();
    if (millis == 0 || loop == null || retired || closed) {
      return OK; // a throw-away instance never ticks
    }
    long period = Integer.toUnsignedLong(millis);
    tick = loop.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    return OK;
  }

  private void stopTicks() {
    if (tick != null) {
      tick.cancel(false);
      tick = null;
    }
  }

  private void tick() {
    if (dead || closed || retired || onTick == null) {
      stopTicks();
      return;
    }
    rootCall(() -> onTick.call(ROOT_CONTEXT), "proxy_on_tick");
  }

  /** A queue this root context owns got an item (from any loop): on_queue_ready on this one. */
  void queueReady(int queueId) {
    if (loop == null) {
      return;
    }
    loop.execute(() -> {
      if (!dead && !closed && onQueueReady != null) {
        rootCall(() -> onQueueReady.call(ROOT_CONTEXT, queueId), "proxy_on_queue_ready");
      }
    });
  }

  /** Runs a root-context callback; a trap ends the instance like any other. */
  private void rootCall(Runnable call, String what) {
    HttpContext saved = current;
    current = null;
    try {
      call.run();
    } catch (GuestTrap e) {
      factory.failed(this, e, what);
    } finally {
      current = saved;
      pendingLocalReply = null; // only an HTTP context's callback may answer a request
    }
  }

  /** Ends the instance; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopTicks();
    factory.queues().forget(this);
    instance.close();
    if (metrics != null) {
      metrics.instanceClosed();
    }
  }

  // ---- host functions ----
  // Each runs guarded (HostCalls.guarded): a pointer outside guest memory is answered with
  // InvalidMemoryAccess, a string over max_string_bytes with BadArgument, never an exception.

  /** The host functions the module imports that this host does not offer ({@link NotOffered}). */
  final List<String> notOffered = new ArrayList<>();

  private List<HostFunctionDef> hostFunctions(GuestModule module) {
    Map<String, HostFunctionDef.Body> bodies = new HashMap<>();
    bodies.put("proxy_log", (m, a) -> status(log((int) a[0], (int) a[1], (int) a[2])));
    bodies.put("proxy_get_log_level", (m, a) -> status(writeInt((int) a[0], 2)));
    bodies.put("proxy_get_current_time_nanoseconds", (m, a) ->
        status(writeLong((int) a[0], System.currentTimeMillis() * 1_000_000L)));
    bodies.put("proxy_get_buffer_bytes", (m, a) -> status(getBuffer((int) a[0], (int) a[1],
        (int) a[2], (int) a[3], (int) a[4])));
    bodies.put("proxy_get_header_map_pairs", (m, a) -> status(getPairs((int) a[0], (int) a[1], (int) a[2])));
    bodies.put("proxy_get_header_map_value", (m, a) -> status(getValue((int) a[0],
        string((int) a[1], (int) a[2]), (int) a[3], (int) a[4])));
    // Metadata keys are unique, so adding a header replaces it.
    HostFunctionDef.Body set = (m, a) -> status(change((int) a[0], string((int) a[1], (int) a[2]),
        string((int) a[3], (int) a[4])));
    bodies.put("proxy_add_header_map_value", set);
    bodies.put("proxy_replace_header_map_value", set);
    bodies.put("proxy_set_header_map_pairs", (m, a) -> status(setPairs((int) a[0],
        block((int) a[1], (int) a[2]))));
    bodies.put("proxy_remove_header_map_value", (m, a) -> status(change((int) a[0],
        string((int) a[1], (int) a[2]), null)));
    bodies.put("proxy_send_local_response", (m, a) -> status(localResponse((int) a[0],
        string((int) a[3], (int) a[4]))));
    bodies.put("proxy_continue_stream", (m, a) -> status(resume()));
    bodies.put("proxy_continue_request", (m, a) -> status(resume()));
    bodies.put("proxy_continue_response", (m, a) -> status(resume()));
    bodies.put("proxy_set_effective_context", (m, a) -> status(effectiveContext((int) a[0])));
    bodies.put("proxy_get_property", (m, a) -> status(getProperty(
        string((int) a[0], (int) a[1]).replace('\0', '.'), (int) a[2], (int) a[3])));
    bodies.put("proxy_set_property", (m, a) -> status(OK));
    bodies.put("proxy_done", (m, a) -> status(OK));
    bodies.put("proxy_http_call", (m, a) -> status(httpCall(string((int) a[0], (int) a[1]),
        block((int) a[2], (int) a[3]), block((int) a[4], (int) a[5]), (int) a[8], (int) a[9])));
    bodies.put("proxy_set_tick_period_milliseconds", (m, a) -> status(setTickPeriod((int) a[0])));
    bodies.put("proxy_define_metric", (m, a) -> status(defineMetric((int) a[0],
        string((int) a[1], (int) a[2]), (int) a[3])));
    bodies.put("proxy_increment_metric", (m, a) -> status(factory.filterMetrics().increment((int) a[0], a[1])));
    bodies.put("proxy_record_metric", (m, a) -> status(factory.filterMetrics().record((int) a[0], a[1])));
    bodies.put("proxy_get_metric", (m, a) -> status(getMetric((int) a[0], (int) a[1])));
    bodies.put("proxy_get_shared_data", (m, a) -> status(getSharedData(string((int) a[0], (int) a[1]),
        (int) a[2], (int) a[3], (int) a[4])));
    bodies.put("proxy_set_shared_data", (m, a) -> status(setSharedData(string((int) a[0], (int) a[1]),
        (int) a[2], (int) a[3], (int) a[4])));
    bodies.put("proxy_register_shared_queue", (m, a) -> status(registerQueue(string((int) a[0], (int) a[1]),
        (int) a[2])));
    bodies.put("proxy_resolve_shared_queue", (m, a) -> status(resolveQueue(string((int) a[0], (int) a[1]),
        string((int) a[2], (int) a[3]), (int) a[4])));
    bodies.put("proxy_enqueue_shared_queue", (m, a) -> status(enqueue((int) a[0], (int) a[1], (int) a[2])));
    bodies.put("proxy_dequeue_shared_queue", (m, a) -> status(dequeue((int) a[0], (int) a[1], (int) a[2])));
    List<HostFunctionDef> defs = new ArrayList<>();
    for (GuestModule.ImportSignature imp : module.functionImports()) {
      if (!imp.module().equals("env")) {
        continue; // WASI is provided by the engine
      }
      HostFunctionDef.Body body = bodies.get(imp.name());
      if (body == null) {
        String why = NotOffered.REASONS.getOrDefault(imp.name(),
            "it is not a proxy-wasm 0.2.1 host function this host knows");
        notOffered.add(imp.name());
        boolean[] warned = {false};
        // The module links; a call reports Unimplemented, which the SDKs surface to the filter.
        body = (m, a) -> {
          if (!warned[0]) {
            warned[0] = true;
            log.warn("{} is not offered: {}; the call returns Unimplemented", imp.name(), why);
          }
          return imp.results().isEmpty() ? new long[0] : status(HostCalls.UNIMPLEMENTED);
        };
      }
      defs.add(new HostFunctionDef(imp.module(), imp.name(), imp.params(), imp.results(),
          HostCalls.guarded(body)));
    }
    return defs;
  }

  private static long[] status(int s) {
    return new long[] {s};
  }

  private int log(int level, int ptr, int len) {
    int status = HostCalls.log(log, memory, limits, level, ptr, len);
    if (level >= 4) {
      lastError = string(ptr, len);
    }
    return status;
  }

  /** Guest bytes up to max_block_bytes (a serialized map, a body). */
  private byte[] block(int ptr, int len) {
    if (len < 0 || len > limits.maxBlockBytes()) {
      throw new HostCalls.TooLong(len, limits.maxBlockBytes());
    }
    return memory.read(ptr, len);
  }

  // ---- callouts ----

  /**
   * proxy_http_call: an HTTP/1.1 request to cluster {@code cluster}, its pseudo-headers
   * {@code :method}, {@code :path} and {@code :authority} (default: the cluster's name) taken
   * from the header map. BadArgument for a malformed map, a missing method or path, a zero
   * timeout, or an unknown cluster (as Envoy answers); the response comes to
   * proxy_on_http_call_response on this instance's loop, unless the request that made it ended.
   */
  private int httpCall(String cluster, byte[] headerMap, byte[] body, int timeoutMillis, int tokenPtr) {
    GuestMemory.check(Integer.toUnsignedLong(tokenPtr), 4, memory.size());
    List<Map.Entry<String, String>> headers = HeaderPairs.parse(headerMap);
    if (headers == null || timeoutMillis == 0) {
      return BAD_ARGUMENT;
    }
    String method = null;
    String path = null;
    String authority = cluster;
    List<Map.Entry<String, String>> plain = new ArrayList<>();
    for (Map.Entry<String, String> h : headers) {
      switch (h.getKey()) {
        case ":method" -> method = h.getValue();
        case ":path" -> path = h.getValue();
        case ":authority" -> authority = h.getValue();
        default -> {
          if (!h.getKey().startsWith(":")) {
            plain.add(h);
          }
        }
      }
    }
    if (method == null || path == null) {
      log.debug("proxy_http_call to {} refused: no :method or :path", cluster);
      return BAD_ARGUMENT;
    }
    if (loop == null) {
      return INTERNAL_FAILURE; // a throw-away instance calls nobody
    }
    int token = nextToken++;
    int from = current == null ? ROOT_CONTEXT : current.id;
    callouts.put(token, from);
    boolean sent = factory.callouts().send(cluster, new HttpCallouts.Request(method, path, authority,
        plain, body), Integer.toUnsignedLong(timeoutMillis), r -> loop.execute(() -> calloutDone(token, r)));
    if (!sent) {
      callouts.remove(token);
      log.debug("proxy_http_call refused: no cluster {} (or it has no endpoint)", cluster);
      return BAD_ARGUMENT;
    }
    return writeInt(tokenPtr, token);
  }

  /** A callout's outcome (always delivered later, never inside the host call that made it). */
  private void calloutDone(int token, HttpCallouts.Response r) {
    Integer from = callouts.remove(token);
    if (from == null || dead || closed || onHttpCallResponse == null) {
      return;
    }
    HttpContext http = from == ROOT_CONTEXT ? null : contexts.get(from);
    if (from != ROOT_CONTEXT && http == null) {
      return; // its request ended meanwhile: Envoy cancels such callouts too
    }
    if (r.failure() != null) {
      log.debug("callout {} failed: {}", token, r.failure());
    }
    HttpContext saved = current;
    current = http;
    calloutResponse = r;
    try {
      onHttpCallResponse.call(from, token, r.status() == 0 ? 0 : r.headers().size() + 1,
          r.body().length, 0);
    } catch (GuestTrap e) {
      factory.failed(this, e, "proxy_on_http_call_response");
      if (http != null) {
        factory.answerFailed(http.filter, e);
      }
      return;
    } finally {
      calloutResponse = null;
      current = saved;
    }
    String reply = takeLocalReply();
    if (reply != null && http != null) {
      http.filter.sendLocalReply(io.protean.abi.codec.ErrorType.LOCAL_REPLY, reply);
    }
  }

  private Metadata calloutHeaders() {
    Metadata m = new Metadata();
    if (calloutResponse.status() != 0) {
      m.put(":status", Integer.toString(calloutResponse.status()));
    }
    for (Map.Entry<String, String> h : calloutResponse.headers()) {
      m.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue());
    }
    return m;
  }

  private int defineMetric(int type, String name, int idPtr) {
    int id = factory.filterMetrics().define(type, name);
    if (id < 0) {
      log.warn("proxy_define_metric({}, {}) refused: {}", type, name, type < 0 || type > 2
          ? "unknown metric type (0 counter, 1 gauge, 2 histogram)"
          : "the module already defined " + FilterMetrics.MAX_METRICS + " metrics, the most one may");
      return BAD_ARGUMENT;
    }
    GuestMemory.check(Integer.toUnsignedLong(idPtr), 4, memory.size());
    return writeInt(idPtr, id);
  }

  private int getMetric(int id, int valuePtr) {
    Long value = factory.filterMetrics().value(id);
    if (value == null) {
      return factory.filterMetrics().exists(id) ? BAD_ARGUMENT : NOT_FOUND;
    }
    GuestMemory.check(Integer.toUnsignedLong(valuePtr), 8, memory.size());
    return writeLong(valuePtr, value);
  }

  private int getSharedData(String key, int ptrPtr, int sizePtr, int casPtr) {
    SharedData.Entry e = factory.sharedData().get(key);
    if (e == null) {
      return NOT_FOUND;
    }
    GuestMemory.check(Integer.toUnsignedLong(casPtr), 4, memory.size());
    returnBytes(e.value(), ptrPtr, sizePtr);
    return writeInt(casPtr, e.cas());
  }

  private int setSharedData(String key, int ptr, int len, int cas) {
    if (len < 0 || len > limits.maxBlockBytes()) {
      return BAD_ARGUMENT;
    }
    int status = factory.sharedData().set(key, memory.read(ptr, len), cas);
    if (status == BAD_ARGUMENT) {
      log.warn("proxy_set_shared_data({}) refused: the filter already holds {} keys, the most it may",
          key, SharedData.MAX_KEYS);
    }
    return status;
  }

  private int registerQueue(String name, int idPtr) {
    GuestMemory.check(Integer.toUnsignedLong(idPtr), 4, memory.size());
    int id = factory.queues().register(name, loop == null ? null : this);
    if (id < 0) {
      log.warn("proxy_register_shared_queue({}) refused: the filter already has {} queues, the most "
          + "it may", name, SharedQueues.MAX_QUEUES);
      return BAD_ARGUMENT;
    }
    return writeInt(idPtr, id);
  }

  /** Queues are the filter's own: the vm_id must be this filter's (empty, Envoy's default). */
  private int resolveQueue(String vmId, String name, int idPtr) {
    GuestMemory.check(Integer.toUnsignedLong(idPtr), 4, memory.size());
    int id = vmId.isEmpty() ? factory.queues().resolve(name) : -1;
    return id < 0 ? NOT_FOUND : writeInt(idPtr, id);
  }

  private int enqueue(int id, int ptr, int len) {
    if (len < 0 || len > limits.maxBlockBytes()) {
      return BAD_ARGUMENT;
    }
    int status = factory.queues().enqueue(id, memory.read(ptr, len));
    if (status == SharedQueues.INTERNAL_FAILURE) {
      log.warn("proxy_enqueue_shared_queue({}) refused: the queue holds {} items, the most it may",
          id, SharedQueues.MAX_ITEMS);
    }
    return status;
  }

  private int dequeue(int id, int ptrPtr, int sizePtr) {
    byte[] item = factory.queues().dequeue(id);
    if (item == null) {
      return NOT_FOUND;
    }
    if (item == SharedQueues.EMPTY_ITEM) {
      return SharedQueues.EMPTY;
    }
    return returnBytes(item, ptrPtr, sizePtr);
  }

  private String string(int ptr, int len) {
    return HostCalls.string(memory, limits, ptr, len);
  }

  private Metadata map(int type) {
    if (type == HTTP_CALL_RESPONSE_HEADERS) {
      return calloutResponse == null ? null : calloutHeaders();
    }
    if (current == null) {
      return null;
    }
    FilterContext ctx = current.filter;
    return switch (type) {
      case REQUEST_HEADERS -> ctx.request().metadata();
      case RESPONSE_HEADERS -> current.responseMetadata;
      default -> null;
    };
  }

  private int getBuffer(int type, int start, int max, int ptrPtr, int sizePtr) {
    byte[] data = switch (type) {
      case REQUEST_BODY -> current == null || requestBody == null ? null : bytes(current.filter.request());
      case RESPONSE_BODY -> current == null || responseBody == null ? null : bytes(current.filter.response());
      case PLUGIN_CONFIGURATION -> factory.pluginConfig();
      case VM_CONFIGURATION -> new byte[0];
      case HTTP_CALL_RESPONSE_BODY -> calloutResponse == null ? null : calloutResponse.body();
      default -> null;
    };
    if (data == null || start < 0 || start > data.length) {
      return NOT_FOUND;
    }
    int len = Math.min(data.length - start, max < 0 ? Integer.MAX_VALUE : max);
    byte[] slice = java.util.Arrays.copyOfRange(data, start, start + len);
    return returnBytes(slice, ptrPtr, sizePtr);
  }

  private int getPairs(int type, int ptrPtr, int sizePtr) {
    Metadata m = map(type);
    return returnBytes(m == null ? new byte[4] : HeaderPairs.encode(m), ptrPtr, sizePtr);
  }


  /** Replaces the whole map: keys not in {@code pairs} are removed, the others set. */
  private int setPairs(int type, byte[] pairs) {
    List<Map.Entry<String, String>> entries = HeaderPairs.parse(pairs);
    Metadata m = map(type);
    if (entries == null) {
      return BAD_ARGUMENT;
    }
    if (m == null) {
      return NOT_FOUND;
    }
    java.util.Set<String> keep = new java.util.HashSet<>();
    entries.forEach(e -> keep.add(e.getKey()));
    List<String> gone = new ArrayList<>();
    m.forEach((k, v) -> {
      if (!keep.contains(k)) {
        gone.add(k);
      }
    });
    int status = OK;
    for (String k : gone) {
      status = Math.max(status, change(type, k, null));
    }
    for (Map.Entry<String, String> e : entries) {
      status = Math.max(status, change(type, e.getKey(), e.getValue()));
    }
    return status;
  }

  /** A frame's bytes as they came (null without a frame or over max_block_bytes). */
  private byte[] bytes(Frame frame) {
    if (frame == null || frame.content().readableBytes() > limits.maxBlockBytes()) {
      return null;
    }
    return io.netty.buffer.ByteBufUtil.getBytes(frame.content());
  }

  private int getValue(int type, String key, int ptrPtr, int sizePtr) {
    Metadata m = map(type);
    String value = m == null ? null : m.get(key);
    return value == null ? NOT_FOUND : returnBytes(value.getBytes(StandardCharsets.UTF_8), ptrPtr, sizePtr);
  }

  /**
   * Request changes go through the filter context (re-encoded upstream), until the request is
   * forwarded: after that (in on_response_headers, on_done) a change has nothing left to change.
   * It answers Ok and is ignored (logged at debug), as Envoy's request map still takes writes
   * once the request has gone: the official Rust SDK unwraps these calls and panics on any other
   * status, which would kill the instance over a no-op. Response changes (during
   * on_response_headers) go through the filter context too: the downstream codec re-encodes the
   * response. On a codec that cannot (Thrift without THeader, a Dubbo error status) the proxy
   * forwards the response unchanged, logs at debug and counts it; the write still answers Ok, for
   * the same reason.
   */
  private int change(int type, String key, String value) {
    if (type == REQUEST_HEADERS && current != null) {
      if (current.forwarded) {
        log.debug("request header {} not changed: the request was already forwarded", key);
        return OK;
      }
      try {
        current.filter.setRequestMetadata(key, value);
      } catch (IllegalStateException refused) { // the proxy's own guard (FilterContext)
        log.debug("request header {} not changed: {}", key, refused.getMessage());
        return BAD_ARGUMENT;
      }
      return OK;
    }
    if (type == RESPONSE_HEADERS && current != null && current.filter.response() != null) {
      current.filter.setResponseMetadata(key, value);
      return OK;
    }
    Metadata m = map(type);
    if (m == null) {
      return NOT_FOUND;
    }
    if (value == null) {
      m.remove(key);
    } else {
      m.put(key, value);
    }
    return OK;
  }

  private int localResponse(int statusCode, String body) {
    if (current == null) {
      return BAD_ARGUMENT;
    }
    pendingLocalReply = body.isEmpty() ? "denied by wasm filter (status " + statusCode + ")" : body;
    return OK;
  }

  private int resume() {
    FilterContext ctx = current == null ? null : current.filter;
    if (ctx == null) {
      return BAD_ARGUMENT;
    }
    // Resume after the guest call returns, never inside it.
    ctx.executor().execute(ctx::resume);
    return OK;
  }

  private int effectiveContext(int id) {
    if (id == ROOT_CONTEXT) {
      current = null;
      return OK;
    }
    HttpContext ctx = contexts.get(id);
    if (ctx == null) {
      return BAD_ARGUMENT;
    }
    current = ctx;
    return OK;
  }

  private int getProperty(String path, int ptrPtr, int sizePtr) {
    HttpContext c = current;
    byte[] value = c == null ? FilterProperties.get(path, new FilterProperties.View(null, null, null,
        -1, factory.moduleName(), factory.rootId()))
        : FilterProperties.get(path, new FilterProperties.View(c.filter, c.responseMetadata,
            c.responseStatus, c.responseSize, factory.moduleName(), factory.rootId()));
    return value == null ? NOT_FOUND : returnBytes(value, ptrPtr, sizePtr);
  }

  /** Copies {@code data} into memory the guest allocates, and writes its address and size. */
  private int returnBytes(byte[] data, int ptrPtr, int sizePtr) {
    // Both slots are checked before the guest allocates anything.
    GuestMemory.check(Integer.toUnsignedLong(ptrPtr), 4, memory.size());
    GuestMemory.check(Integer.toUnsignedLong(sizePtr), 4, memory.size());
    int ptr = 0;
    if (data.length > 0) {
      ptr = (int) allocate.call(data.length)[0];
      memory.write(ptr, data, 0, data.length);
    }
    writeInt(ptrPtr, ptr);
    writeInt(sizePtr, data.length);
    return OK;
  }

  private int writeInt(int at, int value) {
    memory.write(at, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array(), 0, 4);
    return OK;
  }

  private int writeLong(int at, long value) {
    memory.write(at, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array(), 0, 8);
    return OK;
  }
}

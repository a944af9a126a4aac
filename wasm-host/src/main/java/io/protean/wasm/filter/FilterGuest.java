package io.protean.wasm.filter;

import io.protean.abi.codec.Metadata;
import io.protean.abi.filter.FilterContext;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestFunction;
import io.protean.wasm.guest.GuestInstance;
import io.protean.wasm.guest.GuestMemory;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.HostFunctionDef;
import io.protean.wasm.module.HostCalls;
import io.protean.wasm.module.ModuleMetrics;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxy-wasm 0.2.1 filter instance on one event loop: its root context, the HTTP contexts of
 * the requests in flight, and the host functions, which see an RPC request's metadata as the HTTP
 * request header map and its response's as the response header map. Every guest pointer is
 * checked; a bad one gets status 6 (InvalidMemoryAccess), never an exception.
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

  private final WasmFilterFactory factory;
  private final Logger log;
  private final WasmLimits limits;
  private final GuestInstance instance;
  private final GuestMemory memory;
  private final GuestFunction allocate;
  private final GuestFunction contextCreate;
  private final GuestFunction requestHeaders;
  private final GuestFunction responseHeaders;
  private final GuestFunction done;
  private final GuestFunction delete;
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
      this.done = instance.function("proxy_on_done");
      this.delete = instance.function("proxy_on_delete");
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

  /** One request's HTTP context: its filter context, and whether its request is still open. */
  private static final class HttpContext {
    final FilterContext filter;
    /** The request has gone upstream (its response or its end has come): its metadata is final. */
    boolean forwarded;

    HttpContext(FilterContext filter) {
      this.filter = filter;
    }
  }

  /** Starts a request's HTTP context and runs on_request_headers; returns the proxy-wasm action. */
  int onRequest(int id, FilterContext ctx) {
    HttpContext http = new HttpContext(ctx);
    contexts.put(id, http);
    current = http;
    contextCreate.call(id, ROOT_CONTEXT);
    return requestHeaders == null ? 0
        : (int) requestHeaders.call(id, ctx.request().metadata().size(), 1)[0];
  }

  int onResponse(int id, FilterContext ctx) {
    HttpContext http = contexts.get(id);
    http.forwarded = true;
    current = http;
    return responseHeaders == null ? 0
        : (int) responseHeaders.call(id, ctx.response().metadata().size(), 1)[0];
  }

  void onComplete(int id) {
    current = contexts.get(id);
    current.forwarded = true;
    try {
      if (done != null) {
        done.call(id);
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
    if (contexts.isEmpty()) {
      close();
    }
  }

  int newContextId() {
    return nextContext++;
  }

  /** Ends the instance; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    instance.close();
    if (metrics != null) {
      metrics.instanceClosed();
    }
  }

  // ---- host functions ----
  // Each runs guarded (HostCalls.guarded): a pointer outside guest memory is answered with
  // InvalidMemoryAccess, a string over max_string_bytes with BadArgument, never an exception.

  private List<HostFunctionDef> hostFunctions(GuestModule module) {
    Map<String, HostFunctionDef.Body> bodies = new HashMap<>();
    bodies.put("proxy_log", (m, a) -> status(HostCalls.log(log, memory, limits, (int) a[0], (int) a[1], (int) a[2])));
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
    List<HostFunctionDef> defs = new ArrayList<>();
    for (GuestModule.ImportSignature imp : module.functionImports()) {
      if (!imp.module().equals("env")) {
        continue; // WASI is provided by the engine
      }
      HostFunctionDef.Body body = bodies.get(imp.name());
      if (body == null) {
        // Shared data and queues, HTTP/gRPC calls, foreign functions, ticks: not offered yet.
        // The module links; the call reports Unimplemented, which the SDKs surface to the filter.
        body = (m, a) -> imp.results().isEmpty() ? new long[0] : status(HostCalls.UNIMPLEMENTED);
      }
      defs.add(new HostFunctionDef(imp.module(), imp.name(), imp.params(), imp.results(),
          HostCalls.guarded(body)));
    }
    return defs;
  }

  private static long[] status(int s) {
    return new long[] {s};
  }

  private String string(int ptr, int len) {
    return HostCalls.string(memory, limits, ptr, len);
  }

  private Metadata map(int type) {
    if (current == null) {
      return null;
    }
    FilterContext ctx = current.filter;
    return switch (type) {
      case REQUEST_HEADERS -> ctx.request().metadata();
      case RESPONSE_HEADERS -> ctx.response() == null ? null : ctx.response().metadata();
      default -> null;
    };
  }

  private int getBuffer(int type, int start, int max, int ptrPtr, int sizePtr) {
    byte[] data = switch (type) {
      case PLUGIN_CONFIGURATION -> factory.pluginConfig();
      case VM_CONFIGURATION -> new byte[0];
      default -> null;
    };
    if (data == null || start < 0 || start > data.length) {
      return NOT_FOUND;
    }
    int len = Math.min(data.length - start, max < 0 ? Integer.MAX_VALUE : max);
    byte[] slice = java.util.Arrays.copyOfRange(data, start, start + len);
    return returnBytes(slice, ptrPtr, sizePtr);
  }

  /** proxy-wasm pair serialisation: u32 count, count × (u32 key len, u32 value len), then key\0value\0... */
  private int getPairs(int type, int ptrPtr, int sizePtr) {
    Metadata m = map(type);
    if (m == null) {
      return returnBytes(new byte[4], ptrPtr, sizePtr);
    }
    ByteArrayOutputStream strings = new ByteArrayOutputStream();
    ByteBuffer sizes = ByteBuffer.allocate(4 + 8 * m.size()).order(ByteOrder.LITTLE_ENDIAN);
    sizes.putInt(m.size());
    for (int i = 0; i < m.size(); i++) {
      byte[] k = m.keyAt(i).getBytes(StandardCharsets.UTF_8);
      byte[] v = m.valueAt(i).getBytes(StandardCharsets.UTF_8);
      sizes.putInt(k.length).putInt(v.length);
      strings.writeBytes(k);
      strings.write(0);
      strings.writeBytes(v);
      strings.write(0);
    }
    byte[] out = new byte[sizes.capacity() + strings.size()];
    System.arraycopy(sizes.array(), 0, out, 0, sizes.capacity());
    System.arraycopy(strings.toByteArray(), 0, out, sizes.capacity(), strings.size());
    return returnBytes(out, ptrPtr, sizePtr);
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
    String value = switch (path) {
      case "plugin_name" -> factory.moduleName();
      case "listener_name" -> current == null ? null : current.filter.listener();
      default -> null;
    };
    return value == null ? NOT_FOUND : returnBytes(value.getBytes(StandardCharsets.UTF_8), ptrPtr, sizePtr);
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

package io.protean.wasm.filter;

import io.netty.util.concurrent.FastThreadLocal;
import io.protean.abi.HttpCallouts;
import io.protean.abi.Metrics;
import io.protean.abi.Reloadable;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterStatus;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.GuestTrap;
import io.protean.wasm.module.ModuleMetrics;
import io.protean.wasm.module.ModuleSource;
import io.protean.wasm.module.ReloadableModule;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A proxy-wasm 0.2.1 filter module: compiled once, one instance per event loop (with its root
 * context), one HTTP context per request. A failing instance is replaced; the request that was in
 * it gets the failure policy's answer.
 *
 * <p>Every request stays on the instance that saw it: its response callbacks and {@code
 * proxy_on_done} go there. So when a committed reload ({@link #stage()}) or {@link #releaseThread()}
 * takes a loop's instance out of service, new requests get a new instance (after a reload) and the
 * old one is closed when its last request in flight completes.
 */
public final class WasmFilterFactory implements FilterFactory, Reloadable {
  private static final Logger log = LoggerFactory.getLogger(WasmFilterFactory.class);

  private final String name;
  private final byte[] pluginConfig;
  private final boolean failOpen;
  private final ModuleMetrics metrics;
  private final HttpCallouts callouts;
  private final boolean bodies;
  private final FilterMetrics filterMetrics;
  private final SharedData sharedData = new SharedData();
  private final SharedQueues queues = new SharedQueues();
  /** Modules found root-only when validated (no HTTP context: requests pass through). */
  private final Set<GuestModule> rootOnly = Collections.synchronizedSet(
      Collections.newSetFromMap(new WeakHashMap<>()));
  private final ReloadableModule module;
  private final FastThreadLocal<Loop> loops = new FastThreadLocal<>() {
    @Override
    protected Loop initialValue() {
      return new Loop();
    }

    @Override
    protected void onRemoval(Loop loop) {
      loop.release();
    }
  };

  /**
   * Loads the module from {@code source} and validates it on a throw-away instance (start, vm
   * start, configure).
   *
   * @param metrics the proxy's registry, where this module's instances are counted
   *                ({@link ModuleMetrics})
   * @throws IllegalArgumentException naming what is wrong
   */
  public WasmFilterFactory(ModuleSource source, byte[] pluginConfig, boolean failOpen, Metrics metrics) {
    this(source, pluginConfig, failOpen, false, metrics, HttpCallouts.NONE);
  }

  /**
   * As above, with the body callbacks ({@code bodies}: proxy_on_request_body and
   * proxy_on_response_body get the frames' bytes) and the proxy's clusters to call
   * ({@code proxy_http_call}).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public WasmFilterFactory(ModuleSource source, byte[] pluginConfig, boolean failOpen,
      boolean bodies, Metrics metrics, HttpCallouts callouts) {
    this.callouts = callouts;
    this.bodies = bodies;
    this.name = source.name();
    this.pluginConfig = pluginConfig.clone();
    this.failOpen = failOpen;
    this.metrics = new ModuleMetrics(metrics, source.name());
    this.filterMetrics = new FilterMetrics(metrics, source.name());
    this.module = new ReloadableModule(source, this::validate);
  }

  /** The ABI marker, then start, vm start and configure on a throw-away instance. */
  private void validate(GuestModule m) {
    if (!m.exportedFunctions().contains("proxy_abi_version_0_2_1")
        && !m.exportedFunctions().contains("proxy_abi_version_0_2_0")) {
      throw new IllegalArgumentException(m.name() + " is not a proxy-wasm module: it exports "
          + "neither proxy_abi_version_0_2_1 nor proxy_abi_version_0_2_0");
    }
    try (FilterGuest probe = new FilterGuest(this, m, null)) {
      if (!probe.makesHttpContexts()) {
        rootOnly.add(m);
        log.info("filter module {} has no HTTP context (a root-only plugin): it runs its root "
            + "context (vm start, configure, ticks, queues) and lets every request through", m.name());
      }
      if (!probe.notOffered.isEmpty()) {
        log.info("filter module {} imports host functions that are not offered (a call returns "
            + "Unimplemented; docs/filters.md says why): {}", m.name(), probe.notOffered);
      }
      log.debug("filter module {} configured", m.name());
    } catch (GuestTrap e) {
      throw new IllegalArgumentException(m.name() + " failed to start: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the module file again; when it changed, compiles it and validates it with this filter's
   * configuration. Once committed, each loop's next request runs on a new instance of it.
   */
  @Override
  public Staged stage() {
    return module.stage();
  }

  byte[] pluginConfig() {
    return pluginConfig;
  }

  String moduleName() {
    return name;
  }

  /** The plugin's root id (Envoy's {@code root_id}): none is configured, so empty. */
  String rootId() {
    return "";
  }

  FilterMetrics filterMetrics() {
    return filterMetrics;
  }

  SharedData sharedData() {
    return sharedData;
  }

  SharedQueues queues() {
    return queues;
  }

  HttpCallouts callouts() {
    return callouts;
  }

  /** Whether the body callbacks run (the filter's {@code body} option). */
  boolean bodies() {
    return bodies;
  }

  /** Instance failures of this module so far (all reasons). */
  public long instanceFailures() {
    return metrics.failures();
  }

  /** Creates this event loop's instance now rather than at its first request. */
  @Override
  public void prepareThread() {
    loops.get().guest();
  }

  /**
   * This loop is done with the factory: its instance is closed now if no request is in flight on
   * it, else when the last one completes.
   */
  @Override
  public void releaseThread() {
    loops.remove(); // -> onRemoval -> Loop.release()
  }

  /** One event loop's instance. Confined to that loop's thread. */
  private final class Loop {
    private FilterGuest guest;

    /** The instance new requests go to: of the current module, created (or replaced) on demand. */
    FilterGuest guest() {
      GuestModule current = module.current().module(); // one read
      FilterGuest g = guest;
      if (g == null || g.dead || g.module != current) {
        if (g != null) {
          g.retire(); // a failed one is closed already
          guest = null;
        }
        g = new FilterGuest(WasmFilterFactory.this, current, metrics);
        guest = g;
      }
      return g;
    }

    void release() {
      if (guest != null) {
        guest.retire();
        guest = null;
      }
    }
  }

  @Override
  public Filter newFilter() {
    return new WasmFilter();
  }

  /** One request's HTTP context in this loop's instance. */
  private final class WasmFilter implements Filter {
    private FilterGuest guest;
    private int id;

    @Override
    public FilterStatus onRequest(FilterContext ctx) {
      try {
        FilterGuest g = loops.get().guest();
        if (rootOnly.contains(g.module)) {
          return FilterStatus.CONTINUE; // no HTTP context to run: see FilterGuest#makesHttpContexts
        }
        guest = g;
        id = guest.newContextId();
        return status(guest.onRequest(id, ctx), ctx);
      } catch (GuestTrap | IllegalArgumentException e) {
        return failed(ctx, e);
      }
    }

    @Override
    public FilterStatus onResponse(FilterContext ctx) {
      if (guest == null || guest.dead) {
        return FilterStatus.CONTINUE; // the instance that saw the request is gone
      }
      try {
        return status(guest.onResponse(id, ctx), ctx);
      } catch (GuestTrap e) {
        return failed(ctx, e);
      }
    }

    @Override
    public void onComplete(FilterContext ctx) {
      if (guest == null || guest.dead) {
        return;
      }
      try {
        guest.onComplete(id);
      } catch (GuestTrap e) {
        kill(guest, e);
      }
    }

    private FilterStatus status(int action, FilterContext ctx) {
      String reply = guest.takeLocalReply();
      if (reply != null) {
        ctx.sendLocalReply(ErrorType.LOCAL_REPLY, reply);
        return FilterStatus.STOP;
      }
      return action == 0 ? FilterStatus.CONTINUE : FilterStatus.STOP;
    }

    private FilterStatus failed(FilterContext ctx, RuntimeException e) {
      if (guest != null && e instanceof GuestTrap trap) {
        kill(guest, trap);
      } else {
        log.warn("wasm filter {}: cannot create an instance: {}", name, e.getMessage());
      }
      if (failOpen) {
        return FilterStatus.CONTINUE;
      }
      ctx.sendLocalReply(ErrorType.INTERNAL, "wasm filter " + name + " failed: " + e.getMessage());
      return FilterStatus.STOP;
    }
  }

  /**
   * The instance failed in a callback for a request held by the filter (a callout's response):
   * the request gets the failure policy's answer.
   */
  void answerFailed(FilterContext ctx, GuestTrap trap) {
    if (failOpen) {
      ctx.resume();
    } else {
      ctx.sendLocalReply(ErrorType.INTERNAL, "wasm filter " + name + " failed: " + trap.getMessage());
    }
  }

  /** A callback outside a request's own ({@code what}) trapped: the instance is replaced like any other. */
  void failed(FilterGuest g, GuestTrap trap, String what) {
    log.warn("wasm filter {}: {} failed", name, what);
    kill(g, trap);
  }

  private void kill(FilterGuest g, GuestTrap trap) {
    if (!g.dead) {
      g.dead = true;
      g.close();
      metrics.failed(trap.reason());
      log.warn("wasm filter {}: instance failed ({}), replacing it: {}", name,
          trap.reason().name().toLowerCase(java.util.Locale.ROOT), trap.getMessage());
    }
  }
}

package io.protean.wasm.filter;

import io.netty.util.concurrent.FastThreadLocal;
import io.protean.abi.Metrics;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterStatus;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.GuestTrap;
import io.protean.wasm.module.ModuleMetrics;
import io.protean.wasm.module.ModuleSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A proxy-wasm 0.2.1 filter module: compiled once, one instance per event loop (with its root
 * context), one HTTP context per request. A failing instance is replaced; the request that was in
 * it gets the failure policy's answer.
 */
public final class WasmFilterFactory implements FilterFactory {
  private static final Logger log = LoggerFactory.getLogger(WasmFilterFactory.class);

  private final GuestModule module;
  private final byte[] pluginConfig;
  private final boolean failOpen;
  private final ModuleMetrics metrics;
  private final FastThreadLocal<FilterGuest> guests = new FastThreadLocal<>() {
    @Override
    protected void onRemoval(FilterGuest guest) {
      guest.close();
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
    this.metrics = new ModuleMetrics(metrics, source.name());
    GuestModule module = source.load();
    this.module = module;
    this.pluginConfig = pluginConfig.clone();
    this.failOpen = failOpen;
    if (!module.exportedFunctions().contains("proxy_abi_version_0_2_1")
        && !module.exportedFunctions().contains("proxy_abi_version_0_2_0")) {
      throw new IllegalArgumentException(module.name() + " is not a proxy-wasm module: it exports "
          + "neither proxy_abi_version_0_2_1 nor proxy_abi_version_0_2_0");
    }
    try (FilterGuest probe = new FilterGuest(this, module, null)) {
      log.debug("filter module {} configured", module.name());
    } catch (GuestTrap e) {
      throw new IllegalArgumentException(module.name() + " failed to start: " + e.getMessage(), e);
    }
  }

  byte[] pluginConfig() {
    return pluginConfig;
  }

  String moduleName() {
    return module.name();
  }

  /** Instance failures of this module so far (all reasons). */
  public long instanceFailures() {
    return metrics.failures();
  }

  /** Creates this event loop's instance now rather than at its first request. */
  @Override
  public void prepareThread() {
    guest();
  }

  /** This thread's instance, created (or re-created after a failure) on demand. */
  FilterGuest guest() {
    FilterGuest g = guests.get();
    if (g == null || g.dead) {
      g = new FilterGuest(this, module, metrics);
      guests.set(g);
    }
    return g;
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
        guest = guest();
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
        log.warn("wasm filter {}: cannot create an instance: {}", module.name(), e.getMessage());
      }
      if (failOpen) {
        return FilterStatus.CONTINUE;
      }
      ctx.sendLocalReply(ErrorType.INTERNAL, "wasm filter " + module.name() + " failed: " + e.getMessage());
      return FilterStatus.STOP;
    }
  }

  private void kill(FilterGuest g, GuestTrap trap) {
    if (!g.dead) {
      g.dead = true;
      g.close();
      metrics.failed(trap.reason());
      log.warn("wasm filter {}: instance failed ({}), replacing it: {}", module.name(),
          trap.reason().name().toLowerCase(java.util.Locale.ROOT), trap.getMessage());
    }
  }
}

package io.protean.wasm.codec;

import io.netty.util.concurrent.FastThreadLocal;
import io.protean.abi.Metrics;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.CodecFactory;
import io.protean.wasm.module.ModuleMetrics;
import io.protean.wasm.module.ModuleSource;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.GuestTrap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A codec module loaded from a {@code .wasm} file: compiled once, instantiated once per event loop
 * (each loop thread gets its own instance, so no call is ever locked), and re-instantiated when an
 * instance fails.
 */
public final class WasmCodecFactory implements CodecFactory {
  private static final Logger log = LoggerFactory.getLogger(WasmCodecFactory.class);

  private final String protocol;
  private final byte[] config;
  private final ModuleSource source;
  private final ModuleMetrics metrics;
  /** The module new instances are made from; replaced by {@link #reload()}. */
  private volatile GuestModule module;
  private volatile int generation;
  private final AtomicInteger connections = new AtomicInteger();
  private final FastThreadLocal<CodecGuest> guests = new FastThreadLocal<>() {
    @Override
    protected void onRemoval(CodecGuest guest) {
      guest.close();
    }
  };

  /**
   * Loads the module from {@code source}, checks its ABI (exports, imports) and proves it
   * initialises with {@code config} on a throw-away instance.
   *
   * @param metrics the proxy's registry, where this module's instances are counted
   *                ({@link ModuleMetrics})
   * @throws IllegalArgumentException naming what is wrong
   */
  public WasmCodecFactory(String protocol, ModuleSource source, byte[] config, Metrics metrics) {
    this.protocol = protocol;
    this.config = config.clone();
    this.source = source;
    this.metrics = new ModuleMetrics(metrics, source.name());
    GuestModule first = source.load();
    validate(first);
    this.module = first;
  }

  /**
   * Loads the module again from its source and validates it on a throw-away instance; only then
   * do new instances come from it. Each event loop switches at its next frame; a frame being
   * decoded finishes on the old instance. A module that fails validation changes nothing.
   *
   * @throws IllegalArgumentException (with the reason) if the new module is refused
   */
  public void reload() {
    GuestModule next = source.load();
    validate(next);
    module = next;
    generation++;
    log.info("wasm codec {}: reloaded {}", protocol, next.name());
  }

  private void validate(GuestModule module) {
    List<String> missing = new ArrayList<>(CodecGuest.REQUIRED_EXPORTS);
    missing.removeAll(module.exportedFunctions());
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(module.name() + " is not a Protean codec module (ABI v1): "
          + "missing export(s) " + missing);
    }
    try (CodecGuest probe = new CodecGuest(module, config, generation, null)) {
      log.debug("codec module {} initialised", module.name());
    } catch (GuestTrap e) {
      throw new IllegalArgumentException(module.name() + " failed to initialise: " + e.getMessage(), e);
    }
  }

  @Override
  public String protocol() {
    return protocol;
  }

  public String moduleName() {
    return module.name();
  }

  /** Instance failures of this module so far (all reasons). */
  public long instanceFailures() {
    return metrics.failures();
  }

  /** The memory size of this thread's instance (for checks that guest memory stays bounded). */
  public long guestMemoryBytes() {
    return guest().memoryBytes();
  }

  /** Whether this codec can be reloaded from its file. */
  public boolean reloadable() {
    return true;
  }

  @Override
  public Codec newCodec() {
    return new WasmCodec(this, connections.getAndIncrement() & Integer.MAX_VALUE);
  }

  /** Creates this event loop's instance now rather than at its first connection. */
  @Override
  public void prepareThread() {
    guest();
  }

  /** This thread's instance, created (or re-created after a failure) on demand. */
  CodecGuest guest() {
    CodecGuest g = guests.get();
    if (g == null || g.dead || g.generation != generation) {
      if (g != null && !g.dead) {
        g.close(); // replaced by a reload
      }
      GuestModule current = module;
      try {
        g = new CodecGuest(current, config, generation, metrics);
      } catch (GuestTrap | IllegalArgumentException e) {
        throw new CodecException("wasm codec " + module.name() + ": cannot create an instance: "
            + e.getMessage(), e);
      }
      guests.set(g);
    }
    return g;
  }

  /** Whether {@code g} is this thread's instance and alive (so it may be called). */
  boolean isCurrent(CodecGuest g) {
    return !g.dead && guests.getIfExists() == g;
  }

  /** Ends an instance after a failure; the next call on this thread gets a new one. */
  CodecException failed(CodecGuest g, GuestTrap trap) {
    g.dead = true;
    g.close();
    metrics.failed(trap.reason());
    log.warn("wasm codec {}: instance failed ({}), replacing it: {}", module.name(),
        trap.reason().name().toLowerCase(java.util.Locale.ROOT), trap.getMessage());
    return new CodecException("wasm codec " + module.name() + ": " + trap.getMessage(), trap);
  }
}

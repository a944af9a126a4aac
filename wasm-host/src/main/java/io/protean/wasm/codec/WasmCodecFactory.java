package io.protean.wasm.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import io.protean.abi.Metrics;
import io.protean.abi.Reloadable;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.ResponseClass;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.GuestTrap;
import io.protean.wasm.module.ModuleMetrics;
import io.protean.wasm.module.ModuleOptions;
import io.protean.wasm.module.ModuleSource;
import io.protean.wasm.module.ReloadableModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A codec module loaded from a {@code .wasm} file: compiled once, instantiated once per event loop
 * (each loop thread gets its own instance, so no call is ever locked), and re-instantiated when an
 * instance fails.
 *
 * <p><b>Reload.</b> {@link #stage()} reads the file again and validates a changed module;
 * committing it moves each event loop to a new instance at its next frame, and the loop's
 * connections go on there (a guest treats a connection it has not seen as new). <b>Release.</b>
 * After {@link #releaseThread()} a loop's instance lives on while connections that use it are
 * open, and is closed with the last of them.
 */
public final class WasmCodecFactory implements CodecFactory, Reloadable {
  private static final Logger log = LoggerFactory.getLogger(WasmCodecFactory.class);

  private final String protocol;
  private final byte[] config;
  private final ModuleMetrics metrics;
  private final ReloadableModule module;
  private final AtomicInteger connections = new AtomicInteger();
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
   * Loads the module from {@code source}, checks its ABI (exports, imports) and proves it
   * initialises with {@code config} on a throw-away instance.
   *
   * @param metrics the proxy's registry, where this module's instances are counted
   *                ({@link ModuleMetrics})
   * @throws IllegalArgumentException naming what is wrong
   */
  public WasmCodecFactory(String protocol, ModuleSource source, byte[] config, Metrics metrics) {
    this.protocol = protocol;
    byte[] cfg = config.clone();
    this.config = cfg;
    this.metrics = new ModuleMetrics(metrics, source.name());
    this.module = new ReloadableModule(source, m -> validate(m, cfg));
  }

  private static void validate(GuestModule module, byte[] config) {
    List<String> missing = new ArrayList<>(CodecGuest.REQUIRED_EXPORTS);
    missing.removeAll(module.exportedFunctions());
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(module.name() + " is not a Protean codec module (ABI v1): "
          + "missing export(s) " + missing);
    }
    try (CodecGuest probe = new CodecGuest(module, config, null)) {
      log.debug("codec module {} initialised", module.name());
    } catch (GuestTrap e) {
      throw new IllegalArgumentException(module.name() + " failed to initialise: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the module file again; when it changed, compiles it and validates it with this codec's
   * config. Committing the result moves each event loop to it at its next frame.
   */
  @Override
  public Staged stage() {
    return module.stage();
  }

  @Override
  public String protocol() {
    return protocol;
  }

  /**
   * Requests always; responses when the module says it re-encodes them, by exporting the marker
   * {@value CodecGuest#ENCODES_RESPONSES} (ABI.md). Asked of the module running now: a reload to
   * a module without the marker makes response changes fail at run time (forwarded unchanged and
   * counted), not at load.
   */
  @Override
  public String encodeRefusal(MessageType type) {
    return switch (type) {
      case REQUEST, ONEWAY -> null;
      case RESPONSE, ERROR -> module.current().module().exportedFunctions()
          .contains(CodecGuest.ENCODES_RESPONSES) ? null : "module " + module.name()
          + " does not export " + CodecGuest.ENCODES_RESPONSES;
      default -> "the codec ABI re-encodes requests and responses only";
    };
  }

  /**
   * The module's own health check when it exports {@value CodecGuest#HEALTH_CHECK_REQUEST}
   * (ABI.md): the request it builds from {@code options} (handed to it as JSON), passed by a
   * RESPONSE the module classifies SUCCESS. Null without the export (a TCP check remains).
   */
  @Override
  public HealthCheck healthCheck(Map<String, Object> options) {
    if (!module.current().module().exportedFunctions().contains(CodecGuest.HEALTH_CHECK_REQUEST)) {
      return null;
    }
    byte[] json = ModuleOptions.json("protocol_health_check", options);
    return new HealthCheck() {
      @Override
      public ByteBuf request(long id, ByteBufAllocator alloc) {
        WasmCodec codec = (WasmCodec) newCodec();
        try {
          return codec.healthCheckRequest(id, json, alloc);
        } finally {
          codec.close();
        }
      }

      @Override
      public boolean passes(Frame answer) {
        return answer.type() == MessageType.RESPONSE
            && answer.responseClass() == ResponseClass.SUCCESS;
      }
    };
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
    return loops.get().guest().memoryBytes();
  }

  @Override
  public Codec newCodec() {
    return new WasmCodec(this, connections.getAndIncrement() & Integer.MAX_VALUE);
  }

  /** Creates this event loop's instance now rather than at its first connection. */
  @Override
  public void prepareThread() {
    loops.get().guest();
  }

  /**
   * This loop is done with the factory: its instance is closed now if no connection uses it,
   * else when the last one closes.
   */
  @Override
  public void releaseThread() {
    loops.remove(); // -> onRemoval -> Loop.release()
  }

  /** The calling event loop's state, which a connection keeps for its lifetime. */
  Loop loop() {
    return loops.get();
  }

  /**
   * One event loop's use of this factory: its instance and the connections using it. Confined to
   * that loop's thread.
   */
  final class Loop {
    private CodecGuest guest;
    private int connections;
    private boolean released;

    /** The loop's instance of the current module, created (or replaced) on demand. */
    CodecGuest guest() {
      ReloadableModule.Version current = module.current(); // read once: module and generation agree
      CodecGuest g = guest;
      if (g == null || g.dead || g.module != current.module()) {
        if (g != null) {
          g.close(); // replaced by a reload (a failed one is closed already)
          guest = null;
        }
        try {
          g = new CodecGuest(current.module(), config, metrics);
        } catch (GuestTrap | IllegalArgumentException e) {
          throw new CodecException("wasm codec " + module.name() + ": cannot create an instance: "
              + e.getMessage(), e);
        }
        guest = g;
      }
      return g;
    }

    /** Whether {@code g} is this loop's instance and alive (so it may be called). */
    boolean isCurrent(CodecGuest g) {
      return g == guest && !g.dead;
    }

    /** A connection starts using this loop's instance. */
    void attach() {
      connections++;
    }

    /** A connection that used this loop's instance closed. */
    void detach() {
      if (--connections == 0 && released) {
        closeGuest();
      }
    }

    void release() {
      released = true;
      if (connections == 0) {
        closeGuest();
      }
    }

    private void closeGuest() {
      if (guest != null) {
        guest.close();
        guest = null;
      }
    }
  }

  /** Ends an instance after a failure; the next call on this loop gets a new one. */
  CodecException failed(CodecGuest g, GuestTrap trap) {
    g.dead = true;
    g.close();
    metrics.failed(trap.reason());
    log.warn("wasm codec {}: instance failed ({}), replacing it: {}", module.name(),
        trap.reason().name().toLowerCase(Locale.ROOT), trap.getMessage());
    return new CodecException("wasm codec " + module.name() + ": " + trap.getMessage(), trap);
  }
}

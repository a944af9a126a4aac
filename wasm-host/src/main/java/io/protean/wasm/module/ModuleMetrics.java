package io.protean.wasm.module;

import io.protean.abi.Metrics;
import io.protean.wasm.guest.GuestTrap;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The metrics of one module's instances, registered with the proxy's registry when a factory is
 * built (so every series is there, at 0, from the start):
 *
 * <ul>
 *   <li>{@code protean_wasm_instances_created_total{module}}: instances made to serve an event
 *       loop (one per loop, plus replacements; not the throw-away ones that validate a module)
 *   <li>{@code protean_wasm_instances{module}}: those alive now (created and not yet closed)
 *   <li>{@code protean_wasm_instance_failures_total{module,reason}}: instances ended by a trap,
 *       a time-out, a stack overflow or an invalid result (each is replaced)
 * </ul>
 *
 * {@code module} is the module's file name.
 */
public final class ModuleMetrics {
  private final Metrics.Counter created;
  private final Metrics.Gauge alive;
  private final Map<GuestTrap.Reason, Metrics.Counter> failures = new EnumMap<>(GuestTrap.Reason.class);

  public ModuleMetrics(Metrics registry, String module) {
    created = registry.counter("protean_wasm_instances_created_total",
        "Guest instances created (one per event loop, plus replacements).", "module", module);
    alive = registry.gauge("protean_wasm_instances",
        "Guest instances alive (created and not yet closed).", "module", module);
    for (GuestTrap.Reason reason : GuestTrap.Reason.values()) {
      failures.put(reason, registry.counter("protean_wasm_instance_failures_total",
          "Guest instances ended by a trap, time-out or invalid result (each is replaced).",
          "module", module, "reason", reason.name().toLowerCase(Locale.ROOT)));
    }
  }

  public void instanceCreated() {
    created.inc();
    alive.inc();
  }

  public void instanceClosed() {
    alive.dec();
  }

  public void failed(GuestTrap.Reason reason) {
    failures.get(reason).inc();
  }

  /** Instance failures so far, all reasons together. */
  public long failures() {
    long n = 0;
    for (Metrics.Counter c : failures.values()) {
      n += c.get();
    }
    return n;
  }
}

package io.protean.wasm;

import io.protean.wasm.guest.GuestTrap;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the Wasm host, rendered by the proxy's {@code /stats} next to its own metrics
 * (this module cannot see the proxy's registry: dependencies point from proxy to wasm-host).
 */
public final class WasmMetrics {
  private static final Map<String, LongAdder> FAILURES = new ConcurrentSkipListMap<>();
  private static final Map<String, LongAdder> INSTANCES = new ConcurrentSkipListMap<>();

  private WasmMetrics() {}

  public static void failure(String module, GuestTrap.Reason reason) {
    FAILURES.computeIfAbsent("module=\"" + module + "\",reason=\""
        + reason.name().toLowerCase(java.util.Locale.ROOT) + "\"", k -> new LongAdder()).increment();
  }

  public static void instanceCreated(String module) {
    INSTANCES.computeIfAbsent("module=\"" + module + "\"", k -> new LongAdder()).increment();
  }

  /** Failures so far for {@code module} and {@code reason} (for tests and logs). */
  public static long failures(String module, GuestTrap.Reason reason) {
    LongAdder a = FAILURES.get("module=\"" + module + "\",reason=\""
        + reason.name().toLowerCase(java.util.Locale.ROOT) + "\"");
    return a == null ? 0 : a.sum();
  }

  /** Prometheus text for the Wasm counters. */
  public static String prometheus() {
    StringBuilder out = new StringBuilder();
    out.append("# HELP protean_wasm_instance_failures_total Guest instances ended by a trap, "
        + "time-out or invalid result (each is replaced).\n");
    out.append("# TYPE protean_wasm_instance_failures_total counter\n");
    FAILURES.forEach((labels, n) ->
        out.append("protean_wasm_instance_failures_total{").append(labels).append("} ").append(n.sum()).append('\n'));
    out.append("# HELP protean_wasm_instances_created_total Guest instances created (one per event loop, "
        + "plus replacements).\n");
    out.append("# TYPE protean_wasm_instances_created_total counter\n");
    INSTANCES.forEach((labels, n) ->
        out.append("protean_wasm_instances_created_total{").append(labels).append("} ").append(n.sum()).append('\n'));
    return out.toString();
  }
}

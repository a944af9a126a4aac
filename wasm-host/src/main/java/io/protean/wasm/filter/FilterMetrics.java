package io.protean.wasm.filter;

import io.protean.abi.Metrics;
import io.protean.wasm.module.HostCalls;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics a filter module defines ({@code proxy_define_metric}), in the proxy's registry: one
 * series per metric, labelled with the module and the guest's name for it, so any name a guest
 * picks is a valid series ({@code /stats}):
 *
 * <ul>
 *   <li>counter: {@code protean_wasm_filter_counter_total{module, name}}
 *   <li>gauge: {@code protean_wasm_filter_gauge{module, name}}
 *   <li>histogram: {@code protean_wasm_filter_histogram{module, name}} (unitless buckets)
 * </ul>
 *
 * Shared by the module's instances on every event loop (defining a name again returns its id),
 * and bounded: at most {@link #MAX_METRICS} per module, since each is a series kept for the life
 * of the proxy. The operations follow Envoy's: a counter only goes up, a gauge is set or moved, a
 * histogram records values and has no value to read.
 */
final class FilterMetrics {
  /** Most metrics one module may define; past it {@code proxy_define_metric} gets BadArgument. */
  static final int MAX_METRICS = 256;
  // proxy-wasm metric types
  static final int COUNTER = 0;
  static final int GAUGE = 1;
  static final int HISTOGRAM = 2;

  private final Metrics registry;
  private final String module;
  private final Map<String, Integer> ids = new HashMap<>();
  private final List<Metric> series = new ArrayList<>();

  /** A defined metric: its proxy-wasm type and its series (a Counter, Gauge or Histogram). */
  private record Metric(int type, Object series) {}

  FilterMetrics(Metrics registry, String module) {
    this.registry = registry;
    this.module = module;
  }

  /** The id of metric {@code name} of {@code type} (defined now if new), or -1 past the bound or for an unknown type. */
  synchronized int define(int type, String name) {
    if (type < COUNTER || type > HISTOGRAM) {
      return -1;
    }
    Integer id = ids.get(type + ":" + name);
    if (id != null) {
      return id;
    }
    if (series.size() >= MAX_METRICS) {
      return -1;
    }
    series.add(new Metric(type, switch (type) {
      case COUNTER -> registry.counter("protean_wasm_filter_counter_total",
          "Counters defined by proxy-wasm filters (proxy_define_metric).", "module", module, "name", name);
      case GAUGE -> registry.gauge("protean_wasm_filter_gauge",
          "Gauges defined by proxy-wasm filters (proxy_define_metric).", "module", module, "name", name);
      default -> registry.histogram("protean_wasm_filter_histogram",
          "Histograms defined by proxy-wasm filters (proxy_define_metric).", "module", module, "name", name);
    }));
    ids.put(type + ":" + name, series.size() - 1);
    return series.size() - 1;
  }

  private synchronized Metric get(int id) {
    return id < 0 || id >= series.size() ? null : series.get(id);
  }

  /** proxy_increment_metric: a counter by a positive offset, a gauge by any. */
  int increment(int id, long offset) {
    Metric m = get(id);
    if (m == null) {
      return HostCalls.NOT_FOUND;
    }
    switch (m.type()) {
      case COUNTER -> {
        if (offset < 0) {
          return HostCalls.BAD_ARGUMENT;
        }
        ((Metrics.Counter) m.series()).add(offset);
      }
      case GAUGE -> {
        Metrics.Gauge g = (Metrics.Gauge) m.series();
        g.set(g.get() + offset);
      }
      default -> {
        return HostCalls.BAD_ARGUMENT;
      }
    }
    return HostCalls.OK;
  }

  /** proxy_record_metric: a counter grows by the value, a gauge is set to it, a histogram records it. */
  int record(int id, long value) {
    Metric m = get(id);
    if (m == null) {
      return HostCalls.NOT_FOUND;
    }
    switch (m.type()) {
      case COUNTER -> ((Metrics.Counter) m.series()).add(value);
      case GAUGE -> ((Metrics.Gauge) m.series()).set(value);
      default -> ((Metrics.Histogram) m.series()).record(value);
    }
    return HostCalls.OK;
  }

  /** proxy_get_metric: a counter's or gauge's value, or null (a histogram has none, or no such id). */
  Long value(int id) {
    Metric m = get(id);
    if (m == null) {
      return null;
    }
    return switch (m.type()) {
      case COUNTER -> ((Metrics.Counter) m.series()).get();
      case GAUGE -> ((Metrics.Gauge) m.series()).get();
      default -> null;
    };
  }

  boolean exists(int id) {
    return get(id) != null;
  }
}

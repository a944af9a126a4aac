package io.protean.proxy.observability;

import io.protean.abi.Metrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The proxy's metrics, rendered in the Prometheus text format by the admin endpoint.
 *
 * <p>Counters and gauges are {@link LongAdder}s: striped cells, so event loops updating the same
 * metric do not contend, and a scrape sums the cells. Hot-path code holds metric objects in fields
 * (see {@link ListenerStats}, {@link ClusterStats}); the registry maps are touched only at set-up,
 * for labels that appear at run time (a new response status), and on scrape.
 *
 * <p>It is also the registry extensions get ({@link Metrics}, through their providers'
 * {@link io.protean.abi.ExtensionContext}), so {@link #prometheus()} renders everything.
 */
public final class Stats implements Metrics {
  private final Map<String, Family> families = new ConcurrentSkipListMap<>();

  /** A monotonically increasing count. */
  public static final class Counter implements Metrics.Counter {
    private final LongAdder value = new LongAdder();

    @Override
    public void inc() {
      value.increment();
    }

    @Override
    public void add(long n) {
      value.add(n);
    }

    @Override
    public long get() {
      return value.sum();
    }
  }

  /** A value that goes up and down (active requests, open connections). */
  public static final class Gauge implements Metrics.Gauge {
    private final LongAdder value = new LongAdder();

    @Override
    public void inc() {
      value.increment();
    }

    @Override
    public void dec() {
      value.decrement();
    }

    @Override
    public void set(long v) {
      value.reset();
      value.add(v);
    }

    @Override
    public long get() {
      return value.sum();
    }
  }

  /**
   * A histogram with fixed buckets, Prometheus style (cumulative on render): of latencies (bounds
   * in seconds, values recorded in nanoseconds) or of unitless values ({@link Metrics#histogram}).
   */
  public static final class Histogram implements Metrics.Histogram {
    static final double[] LATENCY_BOUNDS = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
    };
    /** 1, 2, 5, 10, 20, 50, ... 10^9. */
    static final double[] VALUE_BOUNDS = new double[28];

    static {
      for (int i = 0; i < VALUE_BOUNDS.length; i++) {
        VALUE_BOUNDS[i] = new int[] {1, 2, 5}[i % 3] * Math.pow(10, i / 3);
      }
    }

    private final double[] bounds;
    /** The bounds in the unit values are recorded in. */
    private final long[] raw;
    /** Recorded units per rendered unit (1e9 for latencies: nanoseconds to seconds). */
    private final double scale;
    private final LongAdder[] buckets;
    private final LongAdder sum = new LongAdder();

    Histogram(double[] bounds, double scale) {
      this.bounds = bounds;
      this.scale = scale;
      this.raw = new long[bounds.length];
      for (int i = 0; i < bounds.length; i++) {
        raw[i] = (long) (bounds[i] * scale);
      }
      buckets = new LongAdder[bounds.length + 1];
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    public void recordNanos(long nanos) {
      record(nanos);
    }

    @Override
    public void record(long value) {
      int i = 0;
      while (i < raw.length && value > raw[i]) {
        i++;
      }
      buckets[i].increment();
      sum.add(value);
    }

    @Override
    public long sum() {
      return sum.sum();
    }

    @Override
    public long count() {
      long n = 0;
      for (LongAdder b : buckets) {
        n += b.sum();
      }
      return n;
    }
  }

  private enum Type {
    COUNTER,
    GAUGE,
    HISTOGRAM
  }

  private static final class Family {
    final Type type;
    final String help;
    final Map<String, Object> byLabels = new ConcurrentSkipListMap<>();

    Family(Type type, String help) {
      this.type = type;
      this.help = help;
    }
  }

  @Override
  public Counter counter(String name, String help, String... labels) {
    return (Counter) metric(name, Type.COUNTER, help, labels);
  }

  @Override
  public Gauge gauge(String name, String help, String... labels) {
    return (Gauge) metric(name, Type.GAUGE, help, labels);
  }

  /** A latency histogram: buckets in seconds, values recorded in nanoseconds. */
  public Histogram latency(String name, String help, String... labels) {
    return (Histogram) metric(name, Type.HISTOGRAM, help, labels, false);
  }

  /**
   * A gauge read from {@code value} at each scrape (a remaining capacity, computed from counts
   * kept elsewhere); registering the same name and labels again replaces the reader.
   */
  public void sampledGauge(String name, String help, java.util.function.LongSupplier value,
      String... labels) {
    Family family = families.computeIfAbsent(name, n -> new Family(Type.GAUGE, help));
    if (family.type != Type.GAUGE) {
      throw new IllegalArgumentException(name + " is a " + family.type + ", not a GAUGE");
    }
    family.byLabels.put(labelText(labels), value);
  }

  @Override
  public Histogram histogram(String name, String help, String... labels) {
    return (Histogram) metric(name, Type.HISTOGRAM, help, labels, true);
  }

  private Object metric(String name, Type type, String help, String[] labels) {
    return metric(name, type, help, labels, false);
  }

  private Object metric(String name, Type type, String help, String[] labels, boolean values) {
    Family family = families.computeIfAbsent(name, n -> new Family(type, help));
    if (family.type != type) {
      throw new IllegalArgumentException(name + " is a " + family.type + ", not a " + type);
    }
    return family.byLabels.computeIfAbsent(labelText(labels), l -> switch (type) {
      case COUNTER -> new Counter();
      case GAUGE -> new Gauge();
      case HISTOGRAM -> values ? new Histogram(Histogram.VALUE_BOUNDS, 1)
          : new Histogram(Histogram.LATENCY_BOUNDS, 1e9);
    });
  }

  /** {@code k1, v1, k2, v2} to {@code k1="v1",k2="v2"} with Prometheus escaping. */
  private static String labelText(String[] labels) {
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name/value pairs");
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < labels.length; i += 2) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(labels[i]).append("=\"").append(labels[i + 1]
          .replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append('"');
    }
    return sb.toString();
  }

  /** The Prometheus text exposition (version 0.0.4) of every metric. */
  public String prometheus() {
    StringBuilder out = new StringBuilder(4096);
    families.forEach((name, family) -> {
      out.append("# HELP ").append(name).append(' ').append(family.help).append('\n');
      out.append("# TYPE ").append(name).append(' ')
          .append(family.type.name().toLowerCase(java.util.Locale.ROOT)).append('\n');
      family.byLabels.forEach((labels, metric) -> {
        switch (family.type) {
          case COUNTER -> sample(out, name, labels, ((Counter) metric).get());
          case GAUGE -> sample(out, name, labels, metric instanceof Gauge g ? g.get()
              : ((java.util.function.LongSupplier) metric).getAsLong());
          case HISTOGRAM -> histogram(out, name, labels, (Histogram) metric);
        }
      });
    });
    return out.toString();
  }

  private static void histogram(StringBuilder out, String name, String labels, Histogram h) {
    long cumulative = 0;
    String sep = labels.isEmpty() ? "" : labels + ",";
    for (int i = 0; i < h.buckets.length; i++) {
      cumulative += h.buckets[i].sum();
      String le = i < h.bounds.length ? Double.toString(h.bounds[i]) : "+Inf";
      sample(out, name + "_bucket", sep + "le=\"" + le + "\"", cumulative);
    }
    out.append(name).append("_sum");
    if (!labels.isEmpty()) {
      out.append('{').append(labels).append('}');
    }
    out.append(' ').append(h.scale == 1 ? Long.toString(h.sum.sum()) : Double.toString(h.sum.sum() / h.scale))
        .append('\n');
    sample(out, name + "_count", labels, cumulative);
  }

  private static void sample(StringBuilder out, String name, String labels, long value) {
    out.append(name);
    if (!labels.isEmpty()) {
      out.append('{').append(labels).append('}');
    }
    out.append(' ').append(value).append('\n');
  }
}

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
    public long get() {
      return value.sum();
    }
  }

  /** A latency histogram with fixed buckets (seconds), Prometheus style (cumulative on render). */
  public static final class Histogram {
    static final double[] BOUNDS = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
    };
    private static final long[] BOUNDS_NANOS = new long[BOUNDS.length];

    static {
      for (int i = 0; i < BOUNDS.length; i++) {
        BOUNDS_NANOS[i] = (long) (BOUNDS[i] * 1e9);
      }
    }

    private final LongAdder[] buckets = new LongAdder[BOUNDS.length + 1];
    private final LongAdder sumNanos = new LongAdder();

    Histogram() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    public void recordNanos(long nanos) {
      int i = 0;
      while (i < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[i]) {
        i++;
      }
      buckets[i].increment();
      sumNanos.add(nanos);
    }

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

  public Histogram histogram(String name, String help, String... labels) {
    return (Histogram) metric(name, Type.HISTOGRAM, help, labels);
  }

  private Object metric(String name, Type type, String help, String[] labels) {
    Family family = families.computeIfAbsent(name, n -> new Family(type, help));
    if (family.type != type) {
      throw new IllegalArgumentException(name + " is a " + family.type + ", not a " + type);
    }
    return family.byLabels.computeIfAbsent(labelText(labels), l -> switch (type) {
      case COUNTER -> new Counter();
      case GAUGE -> new Gauge();
      case HISTOGRAM -> new Histogram();
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
      String le = i < Histogram.BOUNDS.length ? Double.toString(Histogram.BOUNDS[i]) : "+Inf";
      sample(out, name + "_bucket", sep + "le=\"" + le + "\"", cumulative);
    }
    out.append(name).append("_sum");
    if (!labels.isEmpty()) {
      out.append('{').append(labels).append('}');
    }
    out.append(' ').append(h.sumNanos.sum() / 1e9).append('\n');
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

package io.protean.testing;

import io.protean.abi.Metrics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A metrics registry for one test: each test builds its own, so it asserts absolute values, not
 * deltas. Series are keyed by name and label pairs, as the proxy's registry keys them.
 */
public final class RecordingMetrics implements Metrics {
  private final Map<List<String>, Series> series = new ConcurrentHashMap<>();
  private final Map<String, String> kinds = new ConcurrentHashMap<>();

  private static final class Series implements Counter, Gauge, Histogram {
    private final AtomicLong value = new AtomicLong();
    private final AtomicLong count = new AtomicLong();

    @Override
    public void record(long v) {
      count.incrementAndGet();
      value.addAndGet(v);
    }

    @Override
    public long count() {
      return count.get();
    }

    @Override
    public long sum() {
      return value.get();
    }

    @Override
    public void set(long v) {
      value.set(v);
    }

    @Override
    public void inc() {
      value.incrementAndGet();
    }

    @Override
    public void add(long n) {
      value.addAndGet(n);
    }

    @Override
    public void dec() {
      value.decrementAndGet();
    }

    @Override
    public long get() {
      return value.get();
    }
  }

  @Override
  public Counter counter(String name, String help, String... labels) {
    return series("counter", name, labels);
  }

  @Override
  public Gauge gauge(String name, String help, String... labels) {
    return series("gauge", name, labels);
  }

  @Override
  public Histogram histogram(String name, String help, String... labels) {
    return series("histogram", name, labels);
  }

  /** The current value of a series (a histogram's sum); 0 if it was never registered. */
  public long value(String name, String... labels) {
    Series s = series.get(key(name, labels));
    return s == null ? 0 : s.get();
  }

  /** Whether a series with this name and these labels was registered. */
  public boolean has(String name, String... labels) {
    return series.containsKey(key(name, labels));
  }

  private Series series(String kind, String name, String[] labels) {
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels come in name/value pairs");
    }
    String known = kinds.putIfAbsent(name, kind);
    if (known != null && !known.equals(kind)) {
      throw new IllegalArgumentException(name + " is a " + known + ", not a " + kind);
    }
    return series.computeIfAbsent(key(name, labels), k -> new Series());
  }

  private static List<String> key(String name, String[] labels) {
    String[] key = new String[labels.length + 1];
    key[0] = name;
    System.arraycopy(labels, 0, key, 1, labels.length);
    return List.of(key);
  }
}

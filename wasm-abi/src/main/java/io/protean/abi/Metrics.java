package io.protean.abi;

/**
 * The proxy's metrics registry as an extension sees it: counters and gauges by name, help text and
 * label pairs. There is one registry per proxy; it renders what extensions register here together
 * with the proxy's own metrics (the admin endpoint's {@code /stats}, Prometheus text).
 *
 * <p>Registering looks the series up, so do it when a factory is built and keep the returned
 * object for the hot path. Asking again for the same name and labels returns the same series.
 * Thread-safe; updates from many event loops do not contend.
 */
public interface Metrics {

  /**
   * The counter {@code name} with these labels.
   *
   * @param name   Prometheus-style, {@code protean_<extension>_<what>_total}
   * @param help   one line saying what is counted (the first registration of a name sets it)
   * @param labels label names and values, alternating; a value may be any text (the registry
   *               escapes it, so a file name is a fine value)
   * @throws IllegalArgumentException if labels do not come in pairs, or {@code name} is already
   *     registered as another kind of metric
   */
  Counter counter(String name, String help, String... labels);

  /** The gauge {@code name} with these labels; arguments as for {@link #counter}. */
  Gauge gauge(String name, String help, String... labels);

  /**
   * The histogram {@code name} with these labels, of unitless values (a proxy-wasm filter's
   * histogram metric), with buckets 1, 2, 5, 10, 20, 50, ... up to 10^9; arguments as for
   * {@link #counter}.
   */
  Histogram histogram(String name, String help, String... labels);

  /** A count that only goes up. */
  interface Counter {
    void inc();

    void add(long n);

    long get();
  }

  /** A value that goes up and down (instances alive, connections open). */
  interface Gauge {
    void inc();

    void dec();

    /**
     * Sets the value. Meant for a gauge one writer owns: a concurrent {@code inc} or {@code dec}
     * from another thread may be lost.
     */
    void set(long value);

    long get();
  }

  /** A distribution of recorded values, rendered as cumulative buckets, a sum and a count. */
  interface Histogram {
    void record(long value);

    /** Values recorded so far. */
    long count();

    /** Their sum. */
    long sum();
  }
}

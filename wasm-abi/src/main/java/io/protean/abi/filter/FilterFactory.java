package io.protean.abi.filter;

/** Creates the filter instances of one configured filter. Thread-safe. */
public interface FilterFactory {

  /** Called for each request, on the request's event loop. */
  Filter newFilter();

  /** Called once on each event loop thread at start-up (see {@code CodecFactory#prepareThread}). */
  default void prepareThread() {}

  /** Called when the listener that uses this filter stops. */
  default void close() {}
}

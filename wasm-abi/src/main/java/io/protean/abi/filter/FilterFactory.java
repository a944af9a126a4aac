package io.protean.abi.filter;

/** Creates the filter instances of one configured filter. Thread-safe. */
public interface FilterFactory {

  /** Called for each request, on the request's event loop. */
  Filter newFilter();

  /** Called when the listener that uses this filter stops. */
  default void close() {}
}

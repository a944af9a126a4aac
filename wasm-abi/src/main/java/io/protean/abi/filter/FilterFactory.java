package io.protean.abi.filter;

/**
 * Creates the filter instances of one configured filter. Thread-safe. A factory backed by a file
 * that may change also implements {@link io.protean.abi.Reloadable}.
 */
public interface FilterFactory {

  /** Called for each request, on the request's event loop. */
  Filter newFilter();

  /**
   * The field of this filter's config that makes it change response metadata
   * ({@link FilterContext#setResponseMetadata}), or null when it never does. The proxy refuses
   * the filter, naming this field, on a listener whose codec cannot re-encode responses
   * ({@link io.protean.abi.codec.CodecFactory#encodeRefusal}). A filter that cannot tell in
   * advance (a proxy-wasm module) returns null and meets the refusal at run time.
   */
  default String responseMutationField() {
    return null;
  }

  /** Called once on each event loop thread at start-up (see {@code CodecFactory#prepareThread}). */
  default void prepareThread() {}

  /**
   * Called on each event-loop thread once the proxy stops using this factory on that loop (a
   * reload removed or replaced it). Requests that started with it may still be running there;
   * the factory frees that thread's resources (its Wasm instance) once the last of them ends
   * ({@link Filter#onComplete}). No new request on that loop uses the factory afterwards.
   * Default: nothing to free.
   */
  default void releaseThread() {}

  /** Called when the listener that uses this filter stops. */
  default void close() {}
}

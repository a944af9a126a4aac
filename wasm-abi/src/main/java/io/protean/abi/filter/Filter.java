package io.protean.abi.filter;

/**
 * A request/response filter. {@link FilterFactory#newFilter()} is called once per request, so a
 * filter may keep per-request state; a stateless filter may return a shared instance.
 */
public interface Filter {

  /** Called once the request is decoded, before routing. */
  default FilterStatus onRequest(FilterContext ctx) {
    return FilterStatus.CONTINUE;
  }

  /** Called when the upstream response is decoded, before it goes downstream. */
  default FilterStatus onResponse(FilterContext ctx) {
    return FilterStatus.CONTINUE;
  }

  /** Called once when the request ends, whatever happened (answered, failed, dropped). */
  default void onComplete(FilterContext ctx) {}
}

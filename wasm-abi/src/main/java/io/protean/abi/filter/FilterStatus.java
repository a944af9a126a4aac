package io.protean.abi.filter;

/** What the chain does after a filter callback. */
public enum FilterStatus {
  /** Go on to the next filter (or the router). */
  CONTINUE,
  /**
   * Stop here. The filter has either sent a local reply, or will call {@link FilterContext#resume()}
   * later (on the same event loop) to go on.
   */
  STOP
}

package io.protean.proxy.filter;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A token bucket shared by every event loop, as Envoy's local rate limit's {@code token_bucket}:
 * it starts full with {@code maxTokens}; every {@code fillInterval} adds {@code tokensPerFill},
 * up to {@code maxTokens}; a request takes one token or is refused.
 *
 * <p>Lock-free, with no timer: the whole state is one {@link AtomicLong} holding the number of
 * fill intervals elapsed since the bucket was made (upper 40 bits) and the tokens left (lower 24
 * bits). {@link #tryAcquire} computes the fills due since the stored interval from the clock and
 * takes a token in one compare-and-set; contention costs a retry, never a wait.
 */
final class TokenBucket {
  /** The most tokens a bucket may hold (24 bits; the other 40 count intervals). */
  static final long MAX_TOKENS = (1L << 24) - 1;
  private static final long INTERVAL_MASK = (1L << 40) - 1;

  private final long maxTokens;
  private final long tokensPerFill;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final long originNanos;
  private final AtomicLong state;

  /**
   * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime}; a test's own)
   */
  TokenBucket(long maxTokens, long tokensPerFill, long intervalNanos, LongSupplier nanoClock) {
    if (maxTokens < 1 || maxTokens > MAX_TOKENS || tokensPerFill < 1 || intervalNanos < 1) {
      throw new IllegalArgumentException("maxTokens 1.." + MAX_TOKENS + ", tokensPerFill and "
          + "intervalNanos positive");
    }
    this.maxTokens = maxTokens;
    this.tokensPerFill = Math.min(tokensPerFill, maxTokens);
    this.intervalNanos = intervalNanos;
    this.nanoClock = nanoClock;
    this.originNanos = nanoClock.getAsLong();
    this.state = new AtomicLong(maxTokens); // interval 0, full
  }

  /** Takes a token if there is one. Any thread. */
  boolean tryAcquire() {
    // 40 bits of intervals: 34 years of 1 ms intervals, so the count never wraps in practice.
    long now = ((nanoClock.getAsLong() - originNanos) / intervalNanos) & INTERVAL_MASK;
    for (;;) {
      long s = state.get();
      long at = s >>> 24;
      long tokens = s & MAX_TOKENS;
      long fills = now - at;
      if (fills > 0) {
        // Cap before multiplying: a bucket idle for long is simply full.
        tokens = fills >= maxTokens ? maxTokens : Math.min(maxTokens, tokens + fills * tokensPerFill);
        at = now;
      } // else another loop already stored this interval (or a later one read the clock first)
      if (tokens == 0) {
        return false;
      }
      if (state.compareAndSet(s, at << 24 | (tokens - 1))) {
        return true;
      }
    }
  }

  /** The tokens left as of the last acquisition (for tests and the admin; not refilled here). */
  long tokens() {
    return state.get() & MAX_TOKENS;
  }
}

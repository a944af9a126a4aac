package io.protean.wasm;

import java.time.Duration;

/**
 * Every limit the host puts on a guest module, in one place (wasm-abi/ABI.md, "Limits").
 *
 * @param maxMemoryPages  64 KiB pages a guest memory may grow to (default 1024 = 64 MiB);
 *                        {@code memory.grow} past it returns -1
 * @param maxCallTime     wall time one guest call may take (default 1 s: enough to skip an 8 MiB body on the
 *                        interpreter, cold); then it is
 *                        interrupted and the instance replaced
 *                        (calls that set an instance up get {@link #startupCallTime()})
 * @param maxBlockBytes   largest result block a guest may return (default 16 MiB)
 * @param maxPairs        most metadata pairs in one decoded frame (default 1024)
 * @param maxStringBytes  longest metadata key or value, log message, or string a filter passes to
 *                        a host function (default 64 KiB)
 */
public record WasmLimits(
    int maxMemoryPages, Duration maxCallTime, int maxBlockBytes, int maxPairs, int maxStringBytes) {

  public static final WasmLimits DEFAULT =
      new WasmLimits(1024, Duration.ofSeconds(1), 16 << 20, 1024, 64 << 10);

  /**
   * Wall time each call that sets an instance up may take (start function, {@code _initialize},
   * {@code protean_codec_init}, {@code proxy_on_vm_start}, {@code proxy_on_configure}): ten times
   * {@code max_call_time}, at least 10 s. Go's runtime set-up alone took over 1 s on the
   * interpreter on a loaded 2-core machine.
   */
  public Duration startupCallTime() {
    Duration tenfold = maxCallTime.multipliedBy(10);
    return tenfold.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : tenfold;
  }

  public WasmLimits {
    if (maxMemoryPages < 1 || maxMemoryPages > 65536) {
      throw new IllegalArgumentException("max_memory_pages must be between 1 and 65536");
    }
    if (maxCallTime.isNegative() || maxCallTime.isZero()) {
      throw new IllegalArgumentException("max_call_time must be positive");
    }
    if (maxBlockBytes < 16 || maxPairs < 0 || maxStringBytes < 1) {
      throw new IllegalArgumentException("block, pair and string limits must be positive");
    }
  }
}

package io.protean.wasm.filter;

import io.protean.wasm.module.HostCalls;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A filter's key-value store shared by its instances on every event loop
 * ({@code proxy_get_shared_data} / {@code proxy_set_shared_data}), with compare-and-swap: each
 * value carries a version (cas, never 0) that changes on every write; a write naming a cas
 * succeeds only if the value still has it, so two loops incrementing the same counter cannot
 * lose an update. A write with cas 0 is unconditional. Bounded: at most {@link #MAX_KEYS} keys.
 * It lives as long as the filter's configuration (a module reload keeps it).
 */
final class SharedData {
  /** Most keys; past it a write of a new key gets BadArgument. */
  static final int MAX_KEYS = 4096;
  /** proxy-wasm status of a write whose cas no longer matches. */
  static final int CAS_MISMATCH = 8;

  /** One value and its version. */
  record Entry(byte[] value, int cas) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private int nextCas = 1; // guarded by this

  Entry get(String key) {
    return entries.get(key);
  }

  /** Writes {@code value} if {@code cas} is 0 or the key's current version; returns the status. */
  int set(String key, byte[] value, int cas) {
    if (!entries.containsKey(key) && entries.size() >= MAX_KEYS) {
      return HostCalls.BAD_ARGUMENT;
    }
    int[] status = {HostCalls.OK};
    entries.compute(key, (k, old) -> {
      if (cas != 0 && (old == null || old.cas() != cas)) {
        status[0] = CAS_MISMATCH;
        return old;
      }
      return new Entry(value, next());
    });
    return status[0];
  }

  private synchronized int next() {
    int cas = nextCas++;
    if (nextCas == 0) {
      nextCas = 1; // 0 means "no cas"
    }
    return cas;
  }
}

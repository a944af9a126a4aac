package io.protean.proxy.cluster.lb;

import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig.MaglevConfig;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import net.openhft.hashing.LongHashFunction;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016; Envoy's MAGLEV): a lookup table of a
 * prime size M, filled by the endpoints in turn, each along its own permutation of the slots
 * (offset = xxHash64(address) mod M, skip = xxHash64(address, seed 1) mod (M - 1) + 1, as Envoy
 * computes them), so every endpoint owns M / N slots within one. A request takes the slot of its
 * hash mod M: one array read. Removing one of N endpoints moves its slots and a few others.
 * Immutable and shared by every loop.
 *
 * <p>An endpoint that is not healthy is passed over by Envoy's retry mutation of the hash
 * ({@code hash ^ -attempt}, a different slot each attempt) for up to {@link #ATTEMPTS} attempts,
 * then by the next healthy endpoint after it in the cluster's list; both depend only on the hash,
 * so the requests of one key still land together. A request without a hash takes a random slot.
 */
final class Maglev implements LoadBalancer {
  static final int ATTEMPTS = 8;
  private static final LongHashFunction OFFSET = LongHashFunction.xx(0);
  private static final LongHashFunction SKIP = LongHashFunction.xx(1);

  /** The endpoint of each slot. */
  private final int[] table;

  private Maglev(int[] table) {
    this.table = table;
  }

  static Maglev build(List<HostPort> endpoints, MaglevConfig config) {
    int m = config.tableSize();
    int n = endpoints.size();
    List<String> hashKeys = RingHash.hashKeys(endpoints);
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    for (int k = 0; k < n; k++) {
      byte[] key = hashKeys.get(k).getBytes(StandardCharsets.UTF_8);
      offset[k] = Long.remainderUnsigned(OFFSET.hashBytes(key), m);
      skip[k] = Long.remainderUnsigned(SKIP.hashBytes(key), m - 1) + 1;
    }
    int[] table = new int[m];
    Arrays.fill(table, -1);
    int filled = 0;
    while (filled < m) {
      for (int k = 0; k < n && filled < m; k++) {
        int slot;
        do {
          slot = (int) ((offset[k] + skip[k] * next[k]++) % m);
        } while (table[slot] >= 0);
        table[slot] = k;
        filled++;
      }
    }
    return new Maglev(table);
  }

  /** The endpoint of {@code slot} (for tests). */
  int slot(int slot) {
    return table[slot];
  }

  @Override
  public int choose(Hosts hosts, long hash) {
    long h = hash == NO_HASH ? ThreadLocalRandom.current().nextLong() : hash;
    int chosen = table[(int) Long.remainderUnsigned(h, table.length)];
    if (hosts.healthy(chosen)) {
      return chosen;
    }
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      int other = table[(int) Long.remainderUnsigned(h ^ -attempt, table.length)];
      if (hosts.healthy(other)) {
        return other;
      }
    }
    return LoadBalancer.firstHealthy(hosts, chosen);
  }
}

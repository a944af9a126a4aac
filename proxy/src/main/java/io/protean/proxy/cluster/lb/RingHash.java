package io.protean.proxy.cluster.lb;

import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig.RingHashConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import net.openhft.hashing.LongHashFunction;

/**
 * Consistent hashing on a ring (Envoy's RING_HASH, Ketama): each endpoint owns the same number of
 * points, at the xxHash64 of {@code "<address>_<i>"} as Envoy places them, and a request goes to
 * the owner of the first point at or after its hash (a binary search). Adding or removing one of
 * N endpoints moves only the requests of its points, about 1/N of them. Immutable and shared by
 * every loop.
 *
 * <p>An endpoint that is not healthy is passed over: the walk goes on around the ring to the next
 * point of a healthy one, so only its requests move. A request without a hash picks a random
 * point (as Envoy does).
 */
final class RingHash implements LoadBalancer {
  private static final LongHashFunction XX = LongHashFunction.xx();

  /** The points' hashes in ascending unsigned order, stored with the sign bit flipped. */
  private final long[] points;
  /** The endpoint owning each point. */
  private final int[] owners;

  private RingHash(long[] points, int[] owners) {
    this.points = points;
    this.owners = owners;
  }

  /**
   * A ring for {@code endpoints} (the cluster's, in order): each endpoint gets
   * {@code min(minimum_ring_size, maximum_ring_size / n)} points (at least one), so the ring has
   * at least {@code minimum_ring_size} points when the maximum allows.
   *
   * <p>Envoy instead divides {@code minimum_ring_size} among the endpoints ({@code ceil(min / n)}
   * each), so every endpoint's points change with n and one endpoint more or less also moves keys
   * between the others: 40 % of the keys moved when one of 3 endpoints went (1/3 is the minimum).
   * A number of points per endpoint that does not depend on n keeps the move at about 1/n.
   */
  static RingHash build(List<HostPort> endpoints, RingHashConfig config) {
    int n = endpoints.size();
    List<String> hashKeys = hashKeys(endpoints);
    int perHost = Math.max(1, Math.min(config.minimumRingSize(), config.maximumRingSize() / n));
    int size = perHost * n;
    long[] keyed = new long[size];
    int[] ownerOf = new int[size];
    int p = 0;
    for (int k = 0; k < n; k++) {
      String prefix = hashKeys.get(k) + "_";
      for (int i = 0; i < perHost; i++, p++) {
        // Stored with the sign bit flipped: signed order is then xxHash's unsigned order.
        keyed[p] = XX.hashBytes((prefix + i).getBytes(StandardCharsets.UTF_8)) ^ Long.MIN_VALUE;
        ownerOf[p] = k;
      }
    }
    long[] points = keyed.clone();
    Arrays.sort(points);
    int[] owners = new int[size];
    Arrays.fill(owners, -1);
    for (int q = 0; q < size; q++) {
      int at = Arrays.binarySearch(points, keyed[q]);
      while (at > 0 && points[at - 1] == keyed[q]) {
        at--;
      }
      while (owners[at] >= 0) {
        at++; // equal hashes (rare): in endpoint order
      }
      owners[at] = ownerOf[q];
    }
    return new RingHash(points, owners);
  }

  /**
   * What a hashing policy hashes for each endpoint: its address ({@code 10.0.0.1:20880}, as
   * Envoy), with {@code #2}, {@code #3}, ... for a second and third endpoint of the same address,
   * so that each has its own place.
   */
  static List<String> hashKeys(List<HostPort> endpoints) {
    Map<HostPort, Integer> seen = new HashMap<>();
    List<String> keys = new ArrayList<>();
    for (HostPort e : endpoints) {
      int n = seen.merge(e, 1, Integer::sum);
      keys.add(n == 1 ? e.toString() : e + "#" + n);
    }
    return keys;
  }

  /** Points on the ring (for tests). */
  int size() {
    return points.length;
  }

  @Override
  public int choose(Hosts hosts, long hash) {
    long h = (hash == NO_HASH ? ThreadLocalRandom.current().nextLong() : hash) ^ Long.MIN_VALUE;
    int at = Arrays.binarySearch(points, h);
    if (at < 0) {
      at = -at - 1; // the first point above the hash
    } else {
      while (at > 0 && points[at - 1] == h) {
        at--; // the first of equal points
      }
    }
    if (at == points.length) {
      at = 0;
    }
    int owner = owners[at];
    if (hosts.healthy(owner)) {
      return owner;
    }
    if (LoadBalancer.firstHealthy(hosts, 0) < 0) {
      return -1; // no walk around a ring of unhealthy endpoints
    }
    while (!hosts.healthy(owner)) {
      at = at + 1 == points.length ? 0 : at + 1;
      owner = owners[at];
    }
    return owner;
  }
}

package io.protean.proxy.cluster.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig.MaglevConfig;
import io.protean.proxy.config.model.ProxyConfig.RingHashConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ring_hash and maglev: spread, the share of keys that move when an endpoint comes or goes (at
 * most 1/N + 2 % of 100,000 keys), unhealthy endpoints passed over, requests without a hash.
 * Keys come from a seeded generator, so every run checks the same keys.
 */
class HashingLoadBalancerTest {
  private static final int KEYS = 100_000;

  /** The endpoints a balancer sees, each healthy unless marked. */
  private static final class FixedHosts implements LoadBalancer.Hosts {
    private final boolean[] down;

    FixedHosts(int n) {
      down = new boolean[n];
    }

    FixedHosts down(int i) {
      down[i] = true;
      return this;
    }

    @Override
    public int size() {
      return down.length;
    }

    @Override
    public boolean healthy(int i) {
      return !down[i];
    }

    @Override
    public int activeRequests(int i) {
      return 0;
    }
  }

  private static List<HostPort> endpoints(int n) {
    List<HostPort> e = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      e.add(new HostPort("10.0." + (i / 200) + "." + (i % 200 + 1), 20880));
    }
    return e;
  }

  private static LoadBalancer build(String policy, List<HostPort> endpoints) {
    return policy.equals("ring_hash") ? RingHash.build(endpoints, RingHashConfig.DEFAULT)
        : Maglev.build(endpoints, MaglevConfig.DEFAULT);
  }

  private static long[] keys() {
    SplittableRandom r = new SplittableRandom(42);
    long[] k = new long[KEYS];
    for (int i = 0; i < KEYS; i++) {
      k[i] = LoadBalancer.requestHash(r.nextLong());
    }
    return k;
  }

  /** The address each key lands on. */
  private static HostPort[] place(LoadBalancer lb, List<HostPort> endpoints, FixedHosts hosts,
      long[] keys) {
    HostPort[] at = new HostPort[keys.length];
    for (int i = 0; i < keys.length; i++) {
      at[i] = endpoints.get(lb.choose(hosts, keys[i]));
    }
    return at;
  }

  private static double moved(HostPort[] before, HostPort[] after) {
    int moved = 0;
    for (int i = 0; i < before.length; i++) {
      if (!before[i].equals(after[i])) {
        moved++;
      }
    }
    return (double) moved / before.length;
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev"})
  void removingOrAddingOneOfNEndpointsMovesAtMostOneNthPlusTwoPercent(String policy) {
    long[] keys = keys();
    for (int n : new int[] {2, 3, 5, 10, 50}) {
      List<HostPort> all = endpoints(n);
      HostPort[] before = place(build(policy, all), all, new FixedHosts(n), keys);
      for (int gone = 0; gone < n; gone++) {
        List<HostPort> fewer = new ArrayList<>(all);
        fewer.remove(gone);
        HostPort[] after = place(build(policy, fewer), fewer, new FixedHosts(n - 1), keys);
        // Removing endpoint `gone` moves its keys (about 1/n) and, for maglev, a few more;
        // adding it back to the n - 1 others moves the same keys back.
        assertThat(moved(before, after)).as("%s, %d endpoints, one removed", policy, n)
            .isLessThanOrEqualTo(1.0 / n + 0.02);
        assertThat(moved(after, before)).as("%s, %d endpoints, one added", policy, n)
            .isLessThanOrEqualTo(1.0 / n + 0.02);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev"})
  void keysSpreadOverEveryEndpoint(String policy) {
    int n = 5;
    int[] count = new int[n];
    LoadBalancer lb = build(policy, endpoints(n));
    for (long k : keys()) {
      count[lb.choose(new FixedHosts(n), k)]++;
    }
    // Maglev gives each endpoint M/N slots (within one); a ring of 1 024 points is coarser.
    double tolerance = policy.equals("maglev") ? 0.01 : 0.05;
    for (int c : count) {
      assertThat((double) c / KEYS).isBetween(1.0 / n - tolerance, 1.0 / n + tolerance);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev"})
  void anUnhealthyEndpointsKeysMoveAndNoOthers(String policy) {
    int n = 5;
    List<HostPort> all = endpoints(n);
    LoadBalancer lb = build(policy, all);
    long[] keys = keys();
    HostPort[] healthy = place(lb, all, new FixedHosts(n), keys);
    HostPort[] oneDown = place(lb, all, new FixedHosts(n).down(2), keys);
    Set<HostPort> takers = new HashSet<>();
    for (int i = 0; i < keys.length; i++) {
      assertThat(oneDown[i]).isNotEqualTo(all.get(2));
      if (healthy[i].equals(all.get(2))) {
        takers.add(oneDown[i]);
      } else {
        assertThat(oneDown[i]).as("a key of a healthy endpoint stays").isEqualTo(healthy[i]);
      }
    }
    // The unhealthy endpoint's keys spread over the others rather than all falling on one.
    assertThat(takers).hasSize(n - 1);
    // Still consistent: the same key lands on the same healthy endpoint every time.
    assertThat(place(lb, all, new FixedHosts(n).down(2), keys)).isEqualTo(oneDown);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev"})
  void noHealthyEndpointIsMinusOneAndOneHealthyTakesEverything(String policy) {
    LoadBalancer lb = build(policy, endpoints(3));
    FixedHosts none = new FixedHosts(3).down(0).down(1).down(2);
    FixedHosts one = new FixedHosts(3).down(0).down(2);
    for (long k : new long[] {1, 2, 3, -7, Long.MAX_VALUE, LoadBalancer.NO_HASH}) {
      assertThat(lb.choose(none, k)).isEqualTo(-1);
      assertThat(lb.choose(one, k)).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev"})
  void aRequestWithoutHashPicksAtRandom(String policy) {
    int n = 4;
    LoadBalancer lb = build(policy, endpoints(n));
    Map<Integer, Integer> count = new HashMap<>();
    for (int i = 0; i < 4_000; i++) {
      count.merge(lb.choose(new FixedHosts(n), LoadBalancer.NO_HASH), 1, Integer::sum);
    }
    // 1 000 expected each; below 700 has a probability under 1e-20 for a fair draw.
    assertThat(count).hasSize(n);
    assertThat(count.values()).allMatch(c -> c > 700);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ring_hash", "maglev"})
  void theTableDependsOnlyOnTheAddresses(String policy) {
    long[] keys = keys();
    List<HostPort> a = endpoints(7);
    assertThat(place(build(policy, a), a, new FixedHosts(7), keys))
        .isEqualTo(place(build(policy, List.copyOf(a)), a, new FixedHosts(7), keys));
  }

  @org.junit.jupiter.api.Test
  void eachEndpointHasMinimumRingSizePointsWithinTheMaximum() {
    assertThat(RingHash.build(endpoints(3), RingHashConfig.DEFAULT).size()).isEqualTo(3 * 1024);
    assertThat(RingHash.build(endpoints(3), new RingHashConfig(10, 100)).size()).isEqualTo(30);
    assertThat(RingHash.build(endpoints(3), new RingHashConfig(1000, 100)).size()).isEqualTo(99);
    assertThat(RingHash.build(endpoints(5), new RingHashConfig(1, 2)).size()).isEqualTo(5);
  }

  @org.junit.jupiter.api.Test
  void maglevGivesEveryEndpointItsShareOfSlots() {
    int n = 7;
    int m = MaglevConfig.DEFAULT.tableSize();
    Maglev lb = Maglev.build(endpoints(n), MaglevConfig.DEFAULT);
    int[] slots = new int[n];
    for (int s = 0; s < m; s++) {
      slots[lb.slot(s)]++;
    }
    for (int c : slots) {
      assertThat(c).isBetween(m / n, m / n + 1);
    }
  }

  @org.junit.jupiter.api.Test
  void theOtherPoliciesIgnoreTheHash() {
    Random r = new Random(1);
    LoadBalancer rr = new RoundRobin();
    FixedHosts hosts = new FixedHosts(3);
    assertThat(List.of(rr.choose(hosts, r.nextLong()), rr.choose(hosts, r.nextLong()),
        rr.choose(hosts, r.nextLong()))).containsExactly(0, 1, 2);
  }
}

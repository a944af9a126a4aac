package io.protean.proxy.route;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.cluster.lb.LoadBalancer;
import io.protean.proxy.config.model.ProxyConfig.HashPolicy;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.config.model.ProxyConfig.WeightedCluster;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import net.openhft.hashing.LongHashFunction;

/**
 * A compiled route: conditions on request metadata, the target cluster (one, or weighted
 * clusters), the hash policy, the timeout, the retry policy and the mirrors.
 */
public final class Route {
  private static final LongHashFunction XX = LongHashFunction.xx();

  private final String name;
  private final MetadataMatcher match;
  private final String cluster;
  /** Weighted clusters: names, and the running sum of the weights up to and including each. */
  private final String[] weightedNames;
  private final int[] cumulativeWeights;
  private final String[] hashKeys;
  private final boolean[] hashTerminal;
  private final long timeoutNanos;
  private final RetryPolicy retry;
  private final Mirror[] mirrors;
  private final Map<String, String> requestMutation;
  private final Map<String, String> responseMutation;

  /** A cluster that gets a copy of the route's requests, and the share of them it gets. */
  public record Mirror(String cluster, double fraction) {}

  Route(RouteConfig config) {
    this.name = config.name();
    this.match = new MetadataMatcher(config.match());
    this.cluster = config.cluster();
    List<WeightedCluster> weighted = config.clusters();
    this.weightedNames = weighted.stream().map(WeightedCluster::name).toArray(String[]::new);
    this.cumulativeWeights = new int[weighted.size()];
    int sum = 0;
    for (int i = 0; i < weighted.size(); i++) {
      sum += weighted.get(i).weight(); // the loader keeps the total within an int
      cumulativeWeights[i] = sum;
    }
    List<HashPolicy> hash = config.hashPolicy();
    this.hashKeys = hash.stream().map(HashPolicy::key).toArray(String[]::new);
    this.hashTerminal = new boolean[hash.size()];
    for (int i = 0; i < hash.size(); i++) {
      hashTerminal[i] = hash.get(i).terminal();
    }
    this.timeoutNanos = config.timeout().toNanos();
    this.retry = config.retry() == null ? null : new RetryPolicy(config.retry());
    this.mirrors = config.mirror().stream().map(m -> new Mirror(m.cluster(), m.fraction()))
        .toArray(Mirror[]::new);
    this.requestMutation = config.requestMutation();
    this.responseMutation = config.responseMutation();
  }

  /** Whether the route sets request or response metadata. */
  public boolean mutates() {
    return !requestMutation.isEmpty() || !responseMutation.isEmpty();
  }

  public Map<String, String> requestMutation() {
    return requestMutation;
  }

  public Map<String, String> responseMutation() {
    return responseMutation;
  }

  /** The retry policy, or null: no retries beyond a failed connect. */
  public RetryPolicy retry() {
    return retry;
  }

  /** The mirror clusters (often none). */
  public Mirror[] mirrors() {
    return mirrors;
  }

  public String name() {
    return name;
  }

  /** The route's one cluster, or null when it has weighted clusters ({@link #pickCluster}). */
  public String cluster() {
    return cluster;
  }

  /**
   * The cluster for one request: the route's one cluster, or one of its weighted clusters drawn
   * with a probability proportional to its weight, from the calling thread's (the event loop's)
   * random source — no lock, no allocation.
   */
  public String pickCluster() {
    if (cluster != null) {
      return cluster;
    }
    int total = cumulativeWeights[cumulativeWeights.length - 1];
    int r = ThreadLocalRandom.current().nextInt(total);
    for (int i = 0; ; i++) {
      if (r < cumulativeWeights[i]) {
        return weightedNames[i]; // never a weight-0 cluster: its sum equals the one before
      }
    }
  }

  /**
   * The request's hash by the route's hash policy (Envoy's semantics): the xxHash64 of each
   * present key's value, combined in order ({@code rotl(hash, 1) ^ next}) and stopping after a
   * present {@code terminal} key; {@link LoadBalancer#NO_HASH} when no key is present.
   */
  public long hash(Metadata metadata) {
    long hash = 0;
    boolean any = false;
    for (int i = 0; i < hashKeys.length; i++) {
      String value = metadata.get(hashKeys[i]);
      if (value == null) {
        continue;
      }
      long h = XX.hashChars(value);
      hash = any ? Long.rotateLeft(hash, 1) ^ h : h;
      any = true;
      if (hashTerminal[i]) {
        break;
      }
    }
    return any ? LoadBalancer.requestHash(hash) : LoadBalancer.NO_HASH;
  }

  public long timeoutNanos() {
    return timeoutNanos;
  }

  boolean matches(Metadata metadata) {
    return match.matches(metadata);
  }
}

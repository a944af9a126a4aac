package io.protean.proxy.cluster;

import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.observability.Stats;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The addresses of a {@code type: strict_dns} cluster (Envoy's STRICT_DNS): every configured
 * {@code host:port} resolved to all its addresses, each address an endpoint. Resolved off the
 * event loops (at start and reload by the configuration thread, then by the cluster manager's
 * resolver thread every {@code dns_refresh_rate}). A name that fails to resolve keeps the
 * addresses it had (logged once, until it resolves again); a name never resolved contributes
 * none. Kept across a cluster's versions, with its name. Thread-safe.
 *
 * <p>The JDK resolves names ({@link InetAddress#getAllByName}: {@code /etc/hosts}, then DNS) and
 * caches an answer for {@code networkaddress.cache.ttl} (30 s by default): a refresh within that
 * time sees the cached answer.
 */
public final class DnsEndpoints {
  private static final Logger log = LoggerFactory.getLogger(DnsEndpoints.class);

  /** Resolves a host name to its addresses (the JDK's, or a test's). */
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final String cluster;
  private final Resolver resolver;
  private final Stats.Counter resolutions;
  private final Stats.Counter failures;
  /** Per configured name, its last good addresses (empty: never resolved). */
  private final java.util.Map<HostPort, List<HostPort>> byName = new java.util.LinkedHashMap<>();
  /** Per configured name, the failure last logged (null: none since it last resolved). */
  private final java.util.Map<HostPort, String> failing = new java.util.HashMap<>();

  /** @param resolutions, failures count each name's lookups and the failed ones */
  public DnsEndpoints(String cluster, Resolver resolver, Stats.Counter resolutions,
      Stats.Counter failures) {
    this.cluster = cluster;
    this.resolver = resolver;
    this.resolutions = resolutions;
    this.failures = failures;
  }

  /**
   * Resolves {@code names} now (blocking: never on an event loop) and returns every address, in
   * the order of the names and of their answers, each once.
   */
  public synchronized List<HostPort> resolve(List<HostPort> names) {
    byName.keySet().retainAll(names);
    failing.keySet().retainAll(names);
    for (HostPort name : names) {
      List<HostPort> addresses = new ArrayList<>();
      resolutions.inc();
      try {
        for (InetAddress a : resolver.resolve(name.host())) {
          addresses.add(new HostPort(a.getHostAddress(), name.port()));
        }
        byName.put(name, List.copyOf(addresses));
        if (failing.remove(name) != null) {
          log.info("cluster {}: {} resolves again: {}", cluster, name.host(), addresses);
        }
      } catch (UnknownHostException | RuntimeException e) {
        failures.inc();
        byName.putIfAbsent(name, List.of());
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (!Objects.equals(failing.put(name, why), why)) {
          log.warn("cluster {}: cannot resolve {} ({}); keeping its last addresses {}", cluster,
              name.host(), why, byName.get(name));
        }
      }
    }
    Set<HostPort> all = new LinkedHashSet<>();
    byName.values().forEach(all::addAll);
    return List.copyOf(all);
  }
}

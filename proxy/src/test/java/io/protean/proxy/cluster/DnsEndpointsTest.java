package io.protean.proxy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.observability.Stats;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A strict_dns cluster's addresses over successive lookups, with answers scripted at the
 * resolver seam (the e2e test, StrictDnsDubboTest, uses the machine's names): every address of
 * every name, each once; a failed lookup keeps the name's last addresses.
 */
class DnsEndpointsTest {
  private final Deque<Object> answers = new ArrayDeque<>();
  private final Stats stats = new Stats();
  private final Stats.Counter resolutions = stats.counter("r", "r");
  private final Stats.Counter failures = stats.counter("f", "f");
  private final DnsEndpoints dns = new DnsEndpoints("c", host -> {
    Object a = answers.pop();
    if (a instanceof UnknownHostException e) {
      throw e;
    }
    return (InetAddress[]) a;
  }, resolutions, failures);

  private static InetAddress[] ips(String... ips) throws UnknownHostException {
    InetAddress[] out = new InetAddress[ips.length];
    for (int i = 0; i < ips.length; i++) {
      out[i] = InetAddress.getByName(ips[i]); // literals: no lookup
    }
    return out;
  }

  @Test
  void aFailedLookupKeepsTheLastGoodAddresses() throws Exception {
    List<HostPort> names = List.of(new HostPort("a.test", 20880), new HostPort("b.test", 20880));
    answers.add(ips("10.0.0.1", "10.0.0.2"));
    answers.add(ips("10.0.0.2"));
    assertThat(dns.resolve(names)).containsExactly(new HostPort("10.0.0.1", 20880),
        new HostPort("10.0.0.2", 20880));

    answers.add(new UnknownHostException("a.test: Name or service not known"));
    answers.add(ips("10.0.0.3"));
    assertThat(dns.resolve(names)).containsExactly(new HostPort("10.0.0.1", 20880),
        new HostPort("10.0.0.2", 20880), new HostPort("10.0.0.3", 20880));

    answers.add(ips("10.0.0.9"));
    answers.add(new UnknownHostException("b.test: Name or service not known"));
    assertThat(dns.resolve(names)).containsExactly(new HostPort("10.0.0.9", 20880),
        new HostPort("10.0.0.3", 20880));
    assertThat(resolutions.get()).isEqualTo(6);
    assertThat(failures.get()).isEqualTo(2);
  }

  @Test
  void aNameNeverResolvedHasNoAddressesAndARemovedNameIsForgotten() throws Exception {
    HostPort a = new HostPort("a.test", 1);
    HostPort b = new HostPort("b.test", 2);
    answers.add(new UnknownHostException("a.test"));
    answers.add(ips("10.0.0.2"));
    assertThat(dns.resolve(List.of(a, b))).containsExactly(new HostPort("10.0.0.2", 2));
    answers.add(ips("10.0.0.1"));
    assertThat(dns.resolve(List.of(a))).containsExactly(new HostPort("10.0.0.1", 1));
  }
}

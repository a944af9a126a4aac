package io.protean.proxy.filter;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import io.protean.proxy.config.yaml.Node;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address range, Envoy's {@code CidrRange}: {@code {address_prefix: 10.0.0.0,
 * prefix_len: 8}} or the short form {@code 10.0.0.0/8} (no length: the one address). Matching is
 * Netty's {@link IpSubnetFilterRule}; an IPv4-mapped IPv6 peer ({@code ::ffff:10.1.2.3}, a
 * dual-stack listener's IPv4 client) is matched as the IPv4 address it is.
 */
final class CidrRange {
  private final IpSubnetFilterRule rule;
  private final String text;

  private CidrRange(InetAddress prefix, int length) {
    this.rule = new IpSubnetFilterRule(prefix, length, IpFilterRuleType.ACCEPT);
    this.text = prefix.getHostAddress() + "/" + length;
  }

  static CidrRange parse(Node n) {
    String address;
    int length;
    Node lengthNode;
    if (n.json().isObject()) {
      n.allowOnly("address_prefix", "prefix_len");
      address = n.required("address_prefix").text();
      lengthNode = n.field("prefix_len");
      length = -1;
    } else {
      String s = n.text().trim();
      int slash = s.indexOf('/');
      address = slash < 0 ? s : s.substring(0, slash);
      lengthNode = null;
      try {
        length = slash < 0 ? -1 : Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw n.error("expected ADDRESS/LENGTH like 10.0.0.0/8 or fd00::/8, found '" + s + "'");
      }
    }
    // A literal only: a host name here would be resolved once, silently, and never again.
    InetAddress prefix = NetUtil.isValidIpV4Address(address) || NetUtil.isValidIpV6Address(address)
        ? NetUtil.createInetAddressFromIpAddressString(address) : null;
    if (prefix == null) {
      throw n.error("'" + address + "' is not an IPv4 or IPv6 address");
    }
    prefix = unmapped(prefix);
    int max = prefix instanceof Inet4Address ? 32 : 128;
    if (lengthNode != null) {
      length = lengthNode.integer(max, 0, max);
    } else if (length == -1) {
      length = max;
    } else if (length < 0 || length > max) {
      throw n.error("prefix length must be between 0 and " + max + " for " + address
          + ", found " + length);
    }
    return new CidrRange(prefix, length);
  }

  boolean matches(InetSocketAddress peer) {
    if (peer == null || peer.getAddress() == null) {
      return false;
    }
    InetAddress a = peer.getAddress();
    InetAddress u = unmapped(a);
    return rule.matches(u == a ? peer : new InetSocketAddress(u, peer.getPort()));
  }

  /** {@code ::ffff:a.b.c.d} as {@code a.b.c.d}; any other address as it is. */
  private static InetAddress unmapped(InetAddress a) {
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      for (int i = 0; i < 10; i++) {
        if (b[i] != 0) {
          return a;
        }
      }
      if (b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
        try {
          return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException impossible) {
          throw new AssertionError(impossible);
        }
      }
    }
    return a;
  }

  @Override
  public String toString() {
    return text;
  }
}

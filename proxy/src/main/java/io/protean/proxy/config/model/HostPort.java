package io.protean.proxy.config.model;

import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/** A {@code host:port} pair ({@code [::1]:20880} for IPv6). Port 0 asks the OS for a free port. */
public record HostPort(String host, int port) {
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
  private static final Pattern DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");
  /** RFC 1123 labels, plus '_' (common in container and service-discovery names). */
  private static final Pattern HOST_NAME =
      Pattern.compile("(?=.{1,253}\\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)"
          + "(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");

  public InetSocketAddress toAddress() {
    return new InetSocketAddress(host, port);
  }

  /** Resolved lazily (connect time), so a name that does not resolve yet is not a start-up error. */
  public InetSocketAddress toUnresolvedAddress() {
    return InetSocketAddress.createUnresolved(host, port);
  }

  /**
   * The host as an IP address when it is an IP literal ({@code 10.0.0.1}, {@code ::1},
   * {@code ::ffff:10.0.0.1} gives the IPv4 address), else null. Never asks DNS.
   */
  public InetAddress literalAddress() {
    return literal(host);
  }

  /** Whether the host is {@code 0.0.0.0} or {@code ::}, which listen on every address. */
  public boolean isWildcard() {
    InetAddress ip = literalAddress();
    return ip != null && ip.isAnyLocalAddress();
  }

  /**
   * Whether two sockets listening on these addresses would contend for one port, so the OS would
   * refuse the second: the same port (never port 0, each gets its own), and the same host, or
   * either host a wildcard. Either wildcard counts as every address of either family: on Linux
   * {@code ::} also takes IPv4, and the JDK's sockets listen on {@code ::} when asked for
   * {@code 0.0.0.0}. Two different names, or a name and a specific IP, are not decided here
   * (that needs DNS).
   */
  public boolean sharesPortWith(HostPort other) {
    if (port == 0 || port != other.port) {
      return false;
    }
    if (isWildcard() || other.isWildcard()) {
      return true;
    }
    InetAddress a = literalAddress();
    InetAddress b = other.literalAddress();
    if (a != null && b != null) {
      return a.equals(b);
    }
    return a == null && b == null && canonicalName(host).equals(canonicalName(other.host));
  }

  /**
   * What is wrong with {@code host} as a host name or IP literal, or null when nothing is: names
   * are RFC 1123 labels ('_' allowed), IPv4 is four decimal octets, IPv6 is a valid literal
   * (brackets already removed). Never asks DNS.
   */
  public static String hostProblem(String host) {
    if (host.isEmpty()) {
      return "the host is empty";
    }
    if (host.indexOf(':') >= 0) {
      return literal(host) != null ? null
          : "'" + host + "' is not a valid IPv6 address (IPv6 is written [::1]:20880)";
    }
    if (DIGITS_AND_DOTS.matcher(host).matches()) {
      return IPV4.matcher(host).matches() ? null
          : "'" + host + "' is not a valid IPv4 address (four numbers 0-255, like 10.0.0.1)";
    }
    return HOST_NAME.matcher(host).matches() ? null
        : "invalid host '" + host + "' (expected a host name or an IP address)";
  }

  private static InetAddress literal(String host) {
    boolean v6 = host.indexOf(':') >= 0;
    if (!v6 && !IPV4.matcher(host).matches()) {
      return null;
    }
    try {
      // Brackets make the JDK parse the text as an IPv6 literal or fail; it never looks it up.
      return InetAddress.getByName(v6 ? "[" + host + "]" : host);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static String canonicalName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  @JsonValue
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}

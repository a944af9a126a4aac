package io.protean.proxy.config;

import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetSocketAddress;

/** A {@code host:port} pair ({@code [::1]:20880} for IPv6). Port 0 asks the OS for a free port. */
public record HostPort(String host, int port) {

  static HostPort parse(Node node) {
    String text = node.text().trim();
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw node.error("expected host:port, found '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw node.error("port must be a number, found '" + text.substring(colon + 1) + "'");
    }
    if (port < 0 || port > 65535) {
      throw node.error("port must be between 0 and 65535, found " + port);
    }
    return new HostPort(host, port);
  }

  public InetSocketAddress toAddress() {
    return new InetSocketAddress(host, port);
  }

  /** Resolved lazily (connect time), so a name that does not resolve yet is not a start-up error. */
  public InetSocketAddress toUnresolvedAddress() {
    return InetSocketAddress.createUnresolved(host, port);
  }

  @JsonValue
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}

package io.protean.proxy.config.model;

import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetSocketAddress;

/** A {@code host:port} pair ({@code [::1]:20880} for IPv6). Port 0 asks the OS for a free port. */
public record HostPort(String host, int port) {

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

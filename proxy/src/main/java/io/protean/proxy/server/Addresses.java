package io.protean.proxy.server;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;

/** Listener and admin addresses: turning a failed bind into a message naming the field. */
final class Addresses {
  private Addresses() {}

  /** {@code listeners[0].address: 127.0.0.1:20880: Address already in use}. */
  static ConfigException bindFailed(String fieldPath, HostPort address, Throwable cause) {
    String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return new ConfigException(fieldPath, "cannot bind " + address + ": " + why);
  }
}

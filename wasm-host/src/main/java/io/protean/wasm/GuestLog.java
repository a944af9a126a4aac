package io.protean.wasm;

import org.slf4j.Logger;

/** Guest log lines (proxy-wasm levels: 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 critical). */
public final class GuestLog {
  private GuestLog() {}

  public static void log(Logger log, int level, String message) {
    switch (level) {
      case 0 -> log.trace(message);
      case 1 -> log.debug(message);
      case 2 -> log.info(message);
      case 3 -> log.warn(message);
      default -> log.error(message);
    }
  }
}

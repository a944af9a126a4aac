package io.protean.proxy.filter;

import io.protean.proxy.config.yaml.Node;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A share of requests, written as a number from 0 to 100 (decimals allowed), kept in parts per
 * million like Envoy's {@code FractionalPercent} with denominator MILLION. Each event loop draws
 * from its own random source ({@link ThreadLocalRandom}: one per thread, no contention).
 */
record Percentage(int perMillion) {
  static final int MILLION = 1_000_000;

  /** The required percentage at {@code n}. */
  static Percentage parse(Node n) {
    if (n.isMissing()) {
      throw n.error("required field is missing (a number from 0 to 100)");
    }
    return new Percentage((int) Math.round(n.number(0, 0, 100) * (MILLION / 100)));
  }

  /** Whether this request is one of the share. */
  boolean sample() {
    return perMillion >= MILLION || perMillion > 0
        && ThreadLocalRandom.current().nextInt(MILLION) < perMillion;
  }
}

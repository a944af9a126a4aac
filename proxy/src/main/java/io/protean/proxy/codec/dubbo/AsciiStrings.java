package io.protean.proxy.codec.dubbo;

import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Recently decoded short ASCII strings, so that the metadata every request repeats (attachment
 * keys, interface, method, version, parameter types...) is not allocated again per request:
 * strings were 60% of the bytes the Dubbo path allocated (docs/performance.md). Direct-mapped:
 * a lookup hashes and compares the bytes, a miss replaces the slot, so a stream of distinct
 * values (trace ids) costs one comparison each and never grows the table. One per thread.
 */
final class AsciiStrings {
  private static final int SLOTS = 512; // a power of two
  /** Longer strings are rarely repeated metadata; they are not cached. */
  static final int MAX_LENGTH = 64;
  private static final FastThreadLocal<AsciiStrings> PER_THREAD = new FastThreadLocal<>() {
    @Override
    protected AsciiStrings initialValue() {
      return new AsciiStrings();
    }
  };

  private final String[] strings = new String[SLOTS];
  /** Each slot's string as bytes: compared with one vectorized Arrays.equals, not per char. */
  private final byte[][] bytes = new byte[SLOTS][];

  static AsciiStrings forThisThread() {
    return PER_THREAD.get();
  }

  /** The string of {@code buf[at, at + len)}, which must be ASCII. */
  String get(byte[] buf, int at, int len) {
    if (len > MAX_LENGTH) {
      return new String(buf, at, len, StandardCharsets.ISO_8859_1);
    }
    int h = len;
    for (int i = at; i < at + len; i++) {
      h = 31 * h + buf[i];
    }
    int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
    byte[] b = bytes[slot];
    if (b != null && Arrays.equals(b, 0, b.length, buf, at, at + len)) {
      return strings[slot];
    }
    String s = new String(buf, at, len, StandardCharsets.ISO_8859_1);
    strings[slot] = s;
    bytes[slot] = Arrays.copyOfRange(buf, at, at + len);
    return s;
  }
}

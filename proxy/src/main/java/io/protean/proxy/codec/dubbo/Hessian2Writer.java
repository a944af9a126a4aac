package io.protean.proxy.codec.dubbo;

import io.netty.buffer.ByteBuf;

/** Writes hessian2 strings the way Hessian's Java writer does (so every Dubbo client reads them). */
final class Hessian2Writer {
  private static final int CHUNK = 0x8000;

  private Hessian2Writer() {}

  static void writeString(ByteBuf out, String s) {
    int len = s.length();
    int offset = 0;
    while (len - offset > CHUNK) {
      // Never split a surrogate pair across chunks.
      int n = Character.isHighSurrogate(s.charAt(offset + CHUNK - 1)) ? CHUNK - 1 : CHUNK;
      out.writeByte('R').writeShort(n);
      writeChars(out, s, offset, n);
      offset += n;
    }
    int n = len - offset;
    if (n <= 0x1f) {
      out.writeByte(n);
    } else if (n <= 0x3ff) {
      out.writeByte(0x30 + (n >> 8)).writeByte(n & 0xff);
    } else {
      out.writeByte('S').writeShort(n);
    }
    writeChars(out, s, offset, n);
  }

  /** Each UTF-16 unit as 1 to 3 bytes (surrogates individually, as Hessian does). */
  private static void writeChars(ByteBuf out, String s, int offset, int n) {
    for (int i = offset; i < offset + n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        out.writeByte(c);
      } else if (c < 0x800) {
        out.writeByte(0xc0 | (c >> 6)).writeByte(0x80 | (c & 0x3f));
      } else {
        out.writeByte(0xe0 | (c >> 12)).writeByte(0x80 | ((c >> 6) & 0x3f))
            .writeByte(0x80 | (c & 0x3f));
      }
    }
  }
}

package io.protean.proxy.codec.dubbo;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** Writes JSONB strings and ints the way fastjson2's JSONWriterJSONB does (so fastjson2 reads them). */
final class JsonbWriter {
  private JsonbWriter() {}

  /** Latin-1 strings as latin-1 (0x49 + length up to 47, else 0x79 length), others as UTF-8 (0x7a). */
  static void writeString(ByteBuf out, String s) {
    boolean latin1 = true;
    for (int i = 0; i < s.length() && latin1; i++) {
      latin1 = s.charAt(i) < 0x100;
    }
    if (latin1) {
      int n = s.length();
      if (n <= 47) {
        out.writeByte(0x49 + n);
      } else {
        out.writeByte(0x79);
        writeInt(out, n);
      }
      for (int i = 0; i < n; i++) {
        out.writeByte(s.charAt(i));
      }
      return;
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    out.writeByte(0x7a);
    writeInt(out, utf8.length);
    out.writeBytes(utf8);
  }

  /** A JSONB int32: one byte for -16..47, two for -2048..2047, three for -262144..262143, else five. */
  static void writeInt(ByteBuf out, int v) {
    if (v >= -16 && v <= 47) {
      out.writeByte(v);
    } else if (v >= -2048 && v <= 2047) {
      out.writeByte(0x38 + (v >> 8)).writeByte(v);
    } else if (v >= -262144 && v <= 262143) {
      out.writeByte(0x44 + (v >> 16)).writeShort(v);
    } else {
      out.writeByte(0x48).writeInt(v);
    }
  }
}

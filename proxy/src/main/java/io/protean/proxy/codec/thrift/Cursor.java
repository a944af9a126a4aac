package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;

/**
 * A bounds-checked read position in a buffer. Running past {@code end} means either "the message
 * is not all here yet" (unframed transport: {@link NeedMore}) or "the message lies about its
 * length" (framed: a {@link ThriftCodecException}).
 */
final class Cursor {
  /** The message continues past the bytes received so far. */
  static final class NeedMore extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final NeedMore INSTANCE = new NeedMore();

    private NeedMore() {
      super(null, null, false, false);
    }
  }

  final ByteBuf buf;
  final int start;
  final int end;
  private final boolean endIsData;
  int pos;

  /**
   * @param endIsData true when {@code end} is just where received data stops (unframed), false
   *                  when it is the message's declared end (framed)
   */
  Cursor(ByteBuf buf, int start, int end, boolean endIsData) {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.endIsData = endIsData;
    this.pos = start;
  }

  void need(long n, String what) {
    if (n < 0 || pos + n > end) {
      if (endIsData && n >= 0) {
        throw NeedMore.INSTANCE;
      }
      throw error(what + " runs past the end of the message");
    }
  }

  ThriftCodecException error(String problem) {
    return new ThriftCodecException(problem + " at offset " + (pos - start));
  }

  int u8(String what) {
    need(1, what);
    return buf.getUnsignedByte(pos++);
  }

  short i16(String what) {
    need(2, what);
    short v = buf.getShort(pos);
    pos += 2;
    return v;
  }

  int i32(String what) {
    need(4, what);
    int v = buf.getInt(pos);
    pos += 4;
    return v;
  }

  void skip(long n, String what) {
    need(n, what);
    pos += (int) n;
  }

  /** An unsigned LEB128 varint of at most 10 bytes. */
  long varint(String what) {
    long v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      int b = u8(what);
      v |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw error("varint longer than 10 bytes in " + what);
  }

  String string(int len, int max, String what) {
    if (len < 0 || len > max) {
      throw error(what + " length " + len + " outside 0.." + max);
    }
    need(len, what);
    String s = buf.toString(pos, len, java.nio.charset.StandardCharsets.UTF_8);
    pos += len;
    return s;
  }
}

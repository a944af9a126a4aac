package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked cursor over one message. Offsets in error messages count from the frame start.
 *
 * <p>Running out of bytes means one of three things: in a framed message the frame is truncated
 * (an error); in an unframed message either the message would grow past the size limit (an error)
 * or its rest has not arrived yet ({@link NeedMoreBytes}, caught by the codec).
 */
final class ThriftReader {

  /**
   * The unframed message continues past the buffered bytes; it is at least {@code bytes} long.
   * Never escapes the codec; carries no stack trace.
   */
  static final class NeedMoreBytes extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int bytes;

    NeedMoreBytes(int bytes) {
      super(null, null, false, false);
      this.bytes = bytes;
    }
  }

  private final ByteBuf buf;
  private final int origin;
  private final int end;
  private final boolean framed;
  private final ThriftLimits limits;
  private int pos;

  /**
   * @param origin where the frame starts (offsets are reported from here)
   * @param start  where the message starts
   * @param end    the frame end (framed) or the end of the buffered bytes (unframed)
   */
  ThriftReader(ByteBuf buf, int origin, int start, int end, boolean framed, ThriftLimits limits) {
    this.buf = buf;
    this.origin = origin;
    this.pos = start;
    this.end = end;
    this.framed = framed;
    this.limits = limits;
  }

  ThriftLimits limits() {
    return limits;
  }

  /** The current position, from the frame start. */
  int offset() {
    return pos - origin;
  }

  ThriftCodecException error(String message, int offset) {
    return new ThriftCodecException(message + " at offset " + offset);
  }

  private void need(long n, String what) {
    if (pos + n <= end) {
      return;
    }
    if (framed) {
      throw new ThriftCodecException("truncated " + what + ": " + n + " bytes needed at offset "
          + offset() + ", but the frame ends at offset " + (end - origin));
    }
    if (pos + n - origin > limits.maxFrameBytes()) {
      throw new ThriftCodecException("unframed message longer than the limit of "
          + limits.maxFrameBytes() + " bytes (" + what + " at offset " + offset() + " needs " + n
          + " bytes)");
    }
    throw new NeedMoreBytes((int) (pos + n - origin));
  }

  int readByte(String what) {
    need(1, what);
    return buf.getUnsignedByte(pos++);
  }

  int readI16(String what) {
    need(2, what);
    int v = buf.getShort(pos);
    pos += 2;
    return v;
  }

  int readI32(String what) {
    need(4, what);
    int v = buf.getInt(pos);
    pos += 4;
    return v;
  }

  void skip(long n, String what) {
    need(n, what);
    pos += (int) n;
  }

  /** Reads {@code length} bytes as UTF-8; the length was already checked against the limits. */
  String readUtf8(int length, String what) {
    need(length, what);
    String s = buf.toString(pos, length, StandardCharsets.UTF_8);
    pos += length;
    return s;
  }

  /** An unsigned LEB128 varint of at most {@code maxBytes} bytes (5 for 32 bits, 10 for 64). */
  long readVarint(int maxBytes, String what) {
    int at = offset();
    long v = 0;
    for (int i = 0; i < maxBytes; i++) {
      int b = readByte(what);
      v |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw error("expected " + what + " as a varint of at most " + maxBytes + " bytes, found a longer one",
        at);
  }

  /** Checks a declared string length against the limits. */
  int checkStringLength(long length, String what, int at) {
    if (length < 0 || length > limits.maxStringBytes()) {
      throw error("expected " + what + " length between 0 and " + limits.maxStringBytes()
          + ", found " + length, at);
    }
    return (int) length;
  }

  /** Checks a declared container size against the limits. */
  int checkContainerSize(long size, int at) {
    if (size < 0 || size > limits.maxContainerSize()) {
      throw error("expected a container size between 0 and " + limits.maxContainerSize()
          + ", found " + size, at);
    }
    return (int) size;
  }

  /** Checks the nesting depth before entering a struct or container at depth {@code depth}. */
  void checkDepth(int depth) {
    if (depth > limits.maxNestingDepth()) {
      throw error("nesting deeper than the limit of " + limits.maxNestingDepth(), offset());
    }
  }
}

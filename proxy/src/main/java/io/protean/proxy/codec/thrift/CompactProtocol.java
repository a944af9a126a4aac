package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * TCompactProtocol: protocol id 0x82, version 1 and type in one byte, then the seq id as a varint
 * (so it cannot be patched in place: {@link #withSeqId} re-encodes the message) and the name.
 */
final class CompactProtocol implements ThriftProtocol {
  static final CompactProtocol INSTANCE = new CompactProtocol();

  static final int PROTOCOL_ID = 0x82;
  private static final int VERSION = 1;
  private static final int VERSION_MASK = 0x1f;
  private static final int TYPE_SHIFT = 5;

  // Compact type codes.
  private static final int STOP = 0;
  private static final int BOOLEAN_TRUE = 1;
  private static final int BOOLEAN_FALSE = 2;
  private static final int BYTE = 3;
  private static final int I16 = 4;
  private static final int I32 = 5;
  private static final int I64 = 6;
  private static final int DOUBLE = 7;
  private static final int BINARY = 8;
  private static final int LIST = 9;
  private static final int SET = 10;
  private static final int MAP = 11;
  private static final int STRUCT = 12;
  private static final int UUID = 13;

  private CompactProtocol() {}

  @Override
  public String name() {
    return "compact";
  }

  @Override
  public ThriftMessageHeader readMessageBegin(ThriftReader r) {
    int at = r.offset();
    int protocolId = r.readByte("the protocol id");
    if (protocolId != PROTOCOL_ID) {
      throw r.error(String.format("expected compact protocol id 0x82, found 0x%02x", protocolId), at);
    }
    int versionAndType = r.readByte("the version and message type");
    if ((versionAndType & VERSION_MASK) != VERSION) {
      throw r.error("expected compact protocol version 1, found " + (versionAndType & VERSION_MASK),
          at + 1);
    }
    int type = versionAndType >>> TYPE_SHIFT;
    if (type < ThriftMessageHeader.CALL || type > ThriftMessageHeader.ONEWAY) {
      throw r.error("expected a message type 1-4 (call, reply, exception, oneway), found " + type,
          at + 1);
    }
    int seqIdAt = r.offset();
    int seqId = (int) r.readVarint(5, "the seq id");
    int nameAt = r.offset();
    int length = r.checkStringLength(r.readVarint(5, "the method name length"), "the method name",
        nameAt);
    return new ThriftMessageHeader(r.readUtf8(length, "the method name"), type, seqId, seqIdAt, true);
  }

  @Override
  public void skipStruct(ThriftReader r) {
    skip(r, STRUCT, 1, false);
  }

  @Override
  public int firstFieldId(ThriftReader r) {
    int header = r.readByte("a field header");
    return header == STOP ? -1 : fieldId(r, header, 0);
  }

  @Override
  public int applicationExceptionType(ThriftReader r) {
    int header;
    int last = 0;
    while ((header = r.readByte("a field header")) != STOP) {
      last = fieldId(r, header, last);
      if (last == EXCEPTION_TYPE_FIELD && (header & 0x0f) == I32) {
        return zigzag(r.readVarint(5, "the exception type"));
      }
      skip(r, header & 0x0f, 2, false);
    }
    return -1;
  }

  /** A field's id: the previous one plus the header's delta, or a zigzag varint after it. */
  private static int fieldId(ThriftReader r, int header, int previous) {
    int delta = header >>> 4;
    return delta != 0 ? previous + delta : zigzag(r.readVarint(5, "a field id"));
  }

  private static int zigzag(long v) {
    return (int) (v >>> 1) ^ -(int) (v & 1);
  }

  /**
   * Skips a value of compact {@code type}. A struct field's boolean lives in its type code and
   * takes no byte; a boolean element of a container takes one.
   */
  private static void skip(ThriftReader r, int type, int depth, boolean inContainer) {
    switch (type) {
      case BOOLEAN_TRUE, BOOLEAN_FALSE -> {
        if (inContainer) {
          r.skip(1, "a bool");
        }
      }
      case BYTE -> r.skip(1, "a byte");
      case I16, I32 -> r.readVarint(5, "an i16 or i32");
      case I64 -> r.readVarint(10, "an i64");
      case DOUBLE -> r.skip(8, "a double");
      case UUID -> r.skip(16, "a uuid");
      case BINARY -> {
        int at = r.offset();
        r.skip(r.checkStringLength(r.readVarint(5, "a binary length"), "a binary", at), "a binary");
      }
      case STRUCT -> {
        r.checkDepth(depth);
        int header;
        while ((header = r.readByte("a field header")) != STOP) {
          if ((header & 0xf0) == 0) {
            // No field id delta: the id follows as a zigzag varint.
            r.readVarint(5, "a field id");
          }
          skip(r, header & 0x0f, depth + 1, false);
        }
      }
      case LIST, SET -> {
        r.checkDepth(depth);
        int header = r.readByte("a list or set header");
        int at = r.offset();
        long size = header >>> 4;
        if (size == 15) {
          size = r.readVarint(5, "a list or set size");
        }
        int elements = r.checkContainerSize(size, at);
        for (int i = 0; i < elements; i++) {
          skip(r, header & 0x0f, depth + 1, true);
        }
      }
      case MAP -> {
        r.checkDepth(depth);
        int at = r.offset();
        int size = r.checkContainerSize(r.readVarint(5, "a map size"), at);
        if (size > 0) {
          int types = r.readByte("the map key and value types");
          for (int i = 0; i < size; i++) {
            skip(r, types >>> 4, depth + 1, true);
            skip(r, types & 0x0f, depth + 1, true);
          }
        }
      }
      default -> throw r.error("expected a value of a compact protocol type (1-13), found type "
          + type, r.offset());
    }
  }

  @Override
  public void writeApplicationException(ByteBuf out, String method, int seqId, int type,
      String message) {
    out.writeByte(PROTOCOL_ID).writeByte(ThriftMessageHeader.EXCEPTION << TYPE_SHIFT | VERSION);
    writeVarint(out, seqId & 0xffffffffL);
    writeString(out, method);
    out.writeByte(EXCEPTION_MESSAGE_FIELD << 4 | BINARY);
    writeString(out, message);
    // Field ids 1 then 2: a delta of 1 fits in the header's high nibble.
    out.writeByte((EXCEPTION_TYPE_FIELD - EXCEPTION_MESSAGE_FIELD) << 4 | I32);
    writeVarint(out, (type << 1 ^ type >> 31) & 0xffffffffL);
    out.writeByte(STOP);
  }

  @Override
  public void writeCall(ByteBuf out, String method, int seqId) {
    out.writeByte(PROTOCOL_ID).writeByte(ThriftMessageHeader.CALL << TYPE_SHIFT | VERSION);
    writeVarint(out, seqId & 0xffffffffL);
    writeString(out, method);
    out.writeByte(STOP);
  }

  @Override
  public int readFirstFieldId(ThriftReader r) {
    int header = r.readByte("a field header");
    if (header == STOP) {
      return -1;
    }
    int delta = header >>> 4;
    if (delta != 0) {
      return delta; // the first field's delta counts from id 0
    }
    int zigzag = (int) r.readVarint(3, "a field id");
    return zigzag >>> 1 ^ -(zigzag & 1);
  }

  static void writeString(ByteBuf out, String s) {
    writeVarint(out, ByteBufUtil.utf8Bytes(s));
    ByteBufUtil.writeUtf8(out, s);
  }

  /**
   * A copy of {@code message} (ownership passes here) with {@code seqId} written over the varint at
   * {@code offset}; a framed message's length prefix is updated.
   */
  static ByteBuf withSeqId(ByteBuf message, int offset, boolean framed, long seqId) {
    try {
      int start = message.readerIndex();
      int rest = start + offset;
      for (int n = 0; (message.getByte(rest++) & 0x80) != 0; n++) {
        if (n == 4) {
          throw new ThriftCodecException("the seq id varint at offset " + offset + " is longer than 5 bytes");
        }
      }
      ByteBuf out = message.alloc().buffer(message.readableBytes() + 5);
      out.writeBytes(message, start, offset);
      writeVarint(out, seqId & 0xffffffffL);
      out.writeBytes(message, rest, message.writerIndex() - rest);
      if (framed) {
        out.setInt(0, out.readableBytes() - ThriftTransport.LENGTH_PREFIX);
      }
      return out;
    } finally {
      message.release();
    }
  }

  static void writeVarint(ByteBuf out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.writeByte((int) (v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.writeByte((int) v);
  }
}

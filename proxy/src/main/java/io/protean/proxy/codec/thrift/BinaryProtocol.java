package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * TBinaryProtocol. Reads both the strict header ({@code 0x8001} version, type, name, seq id) and the
 * old one (name, type, seq id) that libthrift writes with {@code strictWrite=false}; writes the one
 * this connection's peer used.
 */
final class BinaryProtocol implements ThriftProtocol {
  static final BinaryProtocol STRICT = new BinaryProtocol(true);
  static final BinaryProtocol OLD = new BinaryProtocol(false);

  private static final int VERSION_MASK = 0xffff0000;
  private static final int VERSION_1 = 0x80010000;

  // TType codes.
  private static final int STOP = 0;
  private static final int BOOL = 2;
  private static final int BYTE = 3;
  private static final int DOUBLE = 4;
  private static final int I16 = 6;
  private static final int I32 = 8;
  private static final int I64 = 10;
  private static final int STRING = 11;
  private static final int STRUCT = 12;
  private static final int MAP = 13;
  private static final int SET = 14;
  private static final int LIST = 15;
  private static final int UUID = 16;

  private final boolean strict;

  private BinaryProtocol(boolean strict) {
    this.strict = strict;
  }

  @Override
  public String name() {
    return "binary";
  }

  @Override
  public ThriftMessageHeader readMessageBegin(ThriftReader r) {
    int at = r.offset();
    int first = r.readI32("the message header");
    String name;
    int type;
    if (first < 0) {
      if ((first & VERSION_MASK) != VERSION_1) {
        throw r.error(String.format("expected binary protocol version 0x8001, found 0x%04x",
            first >>> 16), at);
      }
      type = first & 0xff;
      name = readString(r, "the method name");
    } else {
      // Old header: the first word is the name's length.
      name = r.readUtf8(r.checkStringLength(first, "the method name", at), "the method name");
      type = r.readByte("the message type");
    }
    if (type < ThriftMessageHeader.CALL || type > ThriftMessageHeader.ONEWAY) {
      throw r.error("expected a message type 1-4 (call, reply, exception, oneway), found " + type, at);
    }
    int seqIdOffset = r.offset();
    return new ThriftMessageHeader(name, type, r.readI32("the seq id"), seqIdOffset, false);
  }

  private static String readString(ThriftReader r, String what) {
    int at = r.offset();
    int length = r.checkStringLength(r.readI32(what), what, at);
    return r.readUtf8(length, what);
  }

  @Override
  public void skipStruct(ThriftReader r) {
    skip(r, STRUCT, 1);
  }

  @Override
  public int firstFieldId(ThriftReader r) {
    return r.readByte("a field type") == STOP ? -1 : r.readI16("a field id");
  }

  @Override
  public int applicationExceptionType(ThriftReader r) {
    int fieldType;
    while ((fieldType = r.readByte("a field type")) != STOP) {
      int id = r.readI16("a field id");
      if (id == EXCEPTION_TYPE_FIELD && fieldType == I32) {
        return r.readI32("the exception type");
      }
      skip(r, fieldType, 2);
    }
    return -1;
  }

  /** Skips a value of {@code type}; containers and structs nest one level deeper. */
  private static void skip(ThriftReader r, int type, int depth) {
    switch (type) {
      case BOOL, BYTE -> r.skip(1, "a byte");
      case I16 -> r.skip(2, "an i16");
      case I32 -> r.skip(4, "an i32");
      case DOUBLE, I64 -> r.skip(8, "an 8-byte value");
      case UUID -> r.skip(16, "a uuid");
      case STRING -> {
        int at = r.offset();
        r.skip(r.checkStringLength(r.readI32("a string length"), "a string", at), "a string");
      }
      case STRUCT -> {
        r.checkDepth(depth);
        int fieldType;
        while ((fieldType = r.readByte("a field type")) != STOP) {
          r.readI16("a field id");
          skip(r, fieldType, depth + 1);
        }
      }
      case MAP -> {
        r.checkDepth(depth);
        int keyType = r.readByte("a map key type");
        int valueType = r.readByte("a map value type");
        int at = r.offset();
        int size = r.checkContainerSize(r.readI32("a map size"), at);
        for (int i = 0; i < size; i++) {
          skip(r, keyType, depth + 1);
          skip(r, valueType, depth + 1);
        }
      }
      case SET, LIST -> {
        r.checkDepth(depth);
        int elementType = r.readByte("an element type");
        int at = r.offset();
        int size = r.checkContainerSize(r.readI32("a list or set size"), at);
        for (int i = 0; i < size; i++) {
          skip(r, elementType, depth + 1);
        }
      }
      default -> throw r.error("expected a value of a binary protocol type (2-4, 6, 8, 10-16), found"
          + " type " + type, r.offset());
    }
  }

  @Override
  public void writeApplicationException(ByteBuf out, String method, int seqId, int type,
      String message) {
    if (strict) {
      out.writeInt(VERSION_1 | ThriftMessageHeader.EXCEPTION);
      writeString(out, method);
    } else {
      writeString(out, method);
      out.writeByte(ThriftMessageHeader.EXCEPTION);
    }
    out.writeInt(seqId);
    out.writeByte(STRING).writeShort(EXCEPTION_MESSAGE_FIELD);
    writeString(out, message);
    out.writeByte(I32).writeShort(EXCEPTION_TYPE_FIELD).writeInt(type);
    out.writeByte(STOP);
  }

  @Override
  public void writeCall(ByteBuf out, String method, int seqId) {
    if (strict) {
      out.writeInt(VERSION_1 | ThriftMessageHeader.CALL);
      writeString(out, method);
    } else {
      writeString(out, method);
      out.writeByte(ThriftMessageHeader.CALL);
    }
    out.writeInt(seqId);
    out.writeByte(STOP);
  }

  @Override
  public int readFirstFieldId(ThriftReader r) {
    int type = r.readByte("a field type");
    return type == STOP ? -1 : r.readI16("a field id");
  }

  private static void writeString(ByteBuf out, String s) {
    int at = out.writerIndex();
    out.writeInt(0);
    out.setInt(at, ByteBufUtil.writeUtf8(out, s));
  }
}

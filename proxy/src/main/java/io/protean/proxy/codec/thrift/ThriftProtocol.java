package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** A Thrift protocol (binary or compact): message headers, skipping, and writing error replies. */
abstract class ThriftProtocol {
  static final int CALL = 1;
  static final int REPLY = 2;
  static final int EXCEPTION = 3;
  static final int ONEWAY = 4;

  /** A message header. {@code seqIdOffset} is -1 when the seq id is not a fixed-width field. */
  record Header(String name, int type, int seqId, int seqIdOffset) {}

  abstract String name();

  abstract Header readHeader(Cursor c, ThriftLimits limits);

  /** Skips a struct (the message body), depth-limited. */
  abstract void skipStruct(Cursor c, ThriftLimits limits, int depth);

  /** Writes a TApplicationException reply: header, struct {1: message, 2: type}, stop. */
  abstract void writeException(ByteBuf out, String method, int seqId, String message, int type);

  static final ThriftProtocol BINARY = new ThriftProtocol() {
    private static final int VERSION_1 = 0x80010000;

    @Override
    String name() {
      return "binary";
    }

    @Override
    Header readHeader(Cursor c, ThriftLimits limits) {
      int versionAndType = c.i32("the message version");
      if ((versionAndType & 0xffff0000) != VERSION_1) {
        c.pos -= 4;
        throw c.error(String.format("expected binary protocol version 0x8001, found 0x%08x", versionAndType));
      }
      String name = c.string(c.i32("the method name length"), limits.maxStringBytes(), "the method name");
      int seqIdOffset = c.pos - c.start;
      return new Header(name, versionAndType & 0xff, c.i32("the seq id"), seqIdOffset);
    }

    @Override
    void skipStruct(Cursor c, ThriftLimits limits, int depth) {
      depth(c, limits, depth);
      while (true) {
        int type = c.u8("a field type");
        if (type == 0) {
          return;
        }
        c.i16("a field id");
        skip(c, limits, type, depth);
      }
    }

    private void skip(Cursor c, ThriftLimits limits, int type, int depth) {
      switch (type) {
        case 2, 3 -> c.skip(1, "a bool or byte");
        case 4, 10 -> c.skip(8, "a double or i64");
        case 6 -> c.skip(2, "an i16");
        case 8 -> c.skip(4, "an i32");
        case 16 -> c.skip(16, "a uuid");
        case 11 -> c.skip(size(c, limits.maxStringBytes(), "a string"), "a string");
        case 12 -> skipStruct(c, limits, depth + 1);
        case 13 -> {
          int k = c.u8("a map key type");
          int v = c.u8("a map value type");
          int n = size(c, limits.maxContainer(), "a map");
          for (int i = 0; i < n; i++) {
            skip(c, limits, k, depth + 1);
            skip(c, limits, v, depth + 1);
          }
        }
        case 14, 15 -> {
          int e = c.u8("an element type");
          int n = size(c, limits.maxContainer(), "a list or set");
          for (int i = 0; i < n; i++) {
            skip(c, limits, e, depth + 1);
          }
        }
        default -> {
          c.pos--;
          throw c.error("unknown field type " + type);
        }
      }
    }

    private int size(Cursor c, int max, String what) {
      int n = c.i32(what + " size");
      if (n < 0 || n > max) {
        throw c.error(what + " size " + n + " outside 0.." + max);
      }
      return n;
    }

    @Override
    void writeException(ByteBuf out, String method, int seqId, String message, int type) {
      byte[] name = method.getBytes(StandardCharsets.UTF_8);
      byte[] text = message.getBytes(StandardCharsets.UTF_8);
      out.writeInt(VERSION_1 | EXCEPTION).writeInt(name.length).writeBytes(name).writeInt(seqId);
      out.writeByte(11).writeShort(1).writeInt(text.length).writeBytes(text);
      out.writeByte(8).writeShort(2).writeInt(type);
      out.writeByte(0);
    }
  };

  static final ThriftProtocol COMPACT = new ThriftProtocol() {
    private static final int PROTOCOL_ID = 0x82;

    @Override
    String name() {
      return "compact";
    }

    @Override
    Header readHeader(Cursor c, ThriftLimits limits) {
      int id = c.u8("the protocol id");
      if (id != PROTOCOL_ID) {
        c.pos--;
        throw c.error(String.format("expected compact protocol id 0x82, found 0x%02x", id));
      }
      int versionAndType = c.u8("the version and type");
      if ((versionAndType & 0x1f) != 1) {
        c.pos--;
        throw c.error("unsupported compact protocol version " + (versionAndType & 0x1f));
      }
      int seqId = (int) c.varint("the seq id");
      String name = c.string((int) Math.min(Integer.MAX_VALUE, c.varint("the method name length")),
          limits.maxStringBytes(), "the method name");
      // The seq id is a varint: it cannot be rewritten in place.
      return new Header(name, (versionAndType >> 5) & 0x07, seqId, -1);
    }

    @Override
    void skipStruct(Cursor c, ThriftLimits limits, int depth) {
      depth(c, limits, depth);
      while (true) {
        int header = c.u8("a field header");
        if (header == 0) {
          return;
        }
        if ((header >> 4) == 0) {
          c.varint("a field id");
        }
        skip(c, limits, header & 0x0f, depth);
      }
    }

    private void skip(Cursor c, ThriftLimits limits, int type, int depth) {
      switch (type) {
        case 1, 2 -> { } // booleans live in the field header
        case 3 -> c.skip(1, "a byte");
        case 4, 5, 6 -> c.varint("an integer");
        case 7 -> c.skip(8, "a double");
        case 13 -> c.skip(16, "a uuid");
        case 8 -> c.skip(size(c, c.varint("a binary length"), limits.maxStringBytes(), "a binary"), "a binary");
        case 12 -> skipStruct(c, limits, depth + 1);
        case 9, 10 -> {
          int head = c.u8("a list header");
          long n = head >> 4 == 15 ? c.varint("a list size") : head >> 4;
          int e = head & 0x0f;
          for (long i = 0, max = size(c, n, limits.maxContainer(), "a list or set"); i < max; i++) {
            skipElement(c, limits, e, depth + 1);
          }
        }
        case 11 -> {
          long n = size(c, c.varint("a map size"), limits.maxContainer(), "a map");
          if (n > 0) {
            int kv = c.u8("a map key and value type");
            for (long i = 0; i < n; i++) {
              skipElement(c, limits, kv >> 4, depth + 1);
              skipElement(c, limits, kv & 0x0f, depth + 1);
            }
          }
        }
        default -> {
          c.pos--;
          throw c.error("unknown compact type " + type);
        }
      }
    }

    /** In containers a boolean takes a byte of its own. */
    private void skipElement(Cursor c, ThriftLimits limits, int type, int depth) {
      if (type == 1 || type == 2) {
        c.skip(1, "a boolean");
      } else {
        skip(c, limits, type, depth);
      }
    }

    private int size(Cursor c, long n, int max, String what) {
      if (n < 0 || n > max) {
        throw c.error(what + " size " + n + " outside 0.." + max);
      }
      return (int) n;
    }

    @Override
    void writeException(ByteBuf out, String method, int seqId, String message, int type) {
      byte[] name = method.getBytes(StandardCharsets.UTF_8);
      byte[] text = message.getBytes(StandardCharsets.UTF_8);
      out.writeByte(PROTOCOL_ID).writeByte((EXCEPTION << 5) | 1);
      varint(out, seqId & 0xffffffffL);
      varint(out, name.length);
      out.writeBytes(name);
      out.writeByte((1 << 4) | 8); // field 1 (delta 1), binary
      varint(out, text.length);
      out.writeBytes(text);
      out.writeByte((1 << 4) | 5); // field 2 (delta 1), i32
      varint(out, (type << 1) ^ (type >> 31)); // zigzag
      out.writeByte(0);
    }

    private void varint(ByteBuf out, long v) {
      while ((v & ~0x7fL) != 0) {
        out.writeByte((int) ((v & 0x7f) | 0x80));
        v >>>= 7;
      }
      out.writeByte((int) v);
    }
  };

  static void depth(Cursor c, ThriftLimits limits, int depth) {
    if (depth > limits.maxDepth()) {
      throw c.error("structs nested deeper than " + limits.maxDepth());
    }
  }
}

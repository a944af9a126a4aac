package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.Mutation;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The header of a THeader frame (Apache Thrift's doc/specs/HeaderFormat.md): a 4-byte length,
 * magic 0x0fff, 16-bit flags, a 32-bit sequence number, the header size in 4-byte words, then
 * the header (varints: protocol id, transform count and ids, info sections), padded with zeros to
 * a word, then the payload: one binary or compact message.
 *
 * <p>Only the {@code INFO_KEYVALUE} (1) info section is read, as the Python, Go and C++ libraries
 * do; reading stops at the first other info id, and the bytes from there are kept as they are.
 *
 * @param seqId         the header's sequence number (the Apache libraries write the message's
 *                      seq id there)
 * @param protocol      the payload's protocol (protocol id 0 binary, 2 compact)
 * @param transforms    the transform ids, in wire order (empty when the payload is plain)
 * @param infoHeaders   the key/value info headers, in wire order, decoded as UTF-8
 * @param payloadOffset where the payload starts, from the frame start
 */
record THeader(int seqId, ThriftProtocol protocol, int[] transforms, Metadata infoHeaders,
    int payloadOffset) {

  static final int MAGIC = 0x0fff;
  /** Length, magic, flags, sequence number and header size: the header follows them. */
  static final int FIXED_BYTES = 14;
  static final int SEQ_ID_OFFSET = 8;
  static final int HEADER_WORDS_OFFSET = 12;
  private static final int PROTOCOL_BINARY = 0;
  private static final int PROTOCOL_COMPACT = 2;
  private static final int INFO_KEY_VALUE = 1;
  private static final int ZLIB = 1;
  /** The most of a zlib payload inflated to name the call in an error reply. */
  private static final int INFLATED_HEADER_BYTES = 64 * 1024;

  /** Reads the header of the complete frame at {@code start}, {@code end} its end. */
  static THeader read(ByteBuf in, int start, int end, ThriftLimits limits) {
    ThriftReader r = new ThriftReader(in, start, start + SEQ_ID_OFFSET, end, true, limits);
    int seqId = r.readI32("the THeader sequence number");
    int headerBytes = (r.readI16("the THeader header size") & 0xffff) * 4;
    int payloadOffset = FIXED_BYTES + headerBytes;
    if (start + payloadOffset > end) {
      throw r.error("expected a THeader header of at most " + (end - start - FIXED_BYTES)
          + " bytes (the frame's rest), found " + headerBytes, HEADER_WORDS_OFFSET);
    }
    // The header's own end bounds its varints.
    r = new ThriftReader(in, start, start + FIXED_BYTES, start + payloadOffset, true, limits);
    int protocolAt = r.offset();
    long protocolId = r.readVarint(5, "the THeader protocol id");
    ThriftProtocol protocol = protocolId == PROTOCOL_BINARY ? BinaryProtocol.STRICT
        : protocolId == PROTOCOL_COMPACT ? CompactProtocol.INSTANCE : null;
    if (protocol == null) {
      throw r.error("expected THeader protocol id 0 (binary) or 2 (compact), found " + protocolId,
          protocolAt);
    }
    int countAt = r.offset();
    int[] transforms = new int[r.checkContainerSize(r.readVarint(5, "the THeader transform count"),
        countAt)];
    for (int i = 0; i < transforms.length; i++) {
      transforms[i] = (int) r.readVarint(5, "a THeader transform id");
    }
    Metadata infoHeaders = new Metadata(4);
    while (r.offset() < payloadOffset && r.readVarint(5, "a THeader info id") == INFO_KEY_VALUE) {
      int at = r.offset();
      int count = r.checkContainerSize(r.readVarint(5, "the THeader info header count"), at);
      for (int i = 0; i < count; i++) {
        String key = readString(r, "a THeader info header key");
        infoHeaders.put(key, readString(r, "a THeader info header value"));
      }
    }
    return new THeader(seqId, protocol, transforms, infoHeaders, payloadOffset);
  }

  private static String readString(ThriftReader r, String what) {
    int at = r.offset();
    return r.readUtf8(r.checkStringLength(r.readVarint(5, what), what, at), what);
  }

  /** Why this proxy cannot forward the frame, or null: it reads no transformed payload. */
  String refusal() {
    if (transforms.length == 0) {
      return null;
    }
    int id = transforms[0];
    return "the THeader transform " + id + (id == ZLIB ? " (zlib)" : "") + " is not supported;"
        + " send the payload untransformed";
  }

  /**
   * The message header of a zlib payload, for an error reply that names the call; null when it
   * cannot be read from the first {@value #INFLATED_HEADER_BYTES} inflated bytes.
   */
  ThriftMessageHeader inflatedMessageHeader(ByteBuf frame, ThriftLimits limits) {
    if (transforms.length != 1 || transforms[0] != ZLIB) {
      return null;
    }
    int start = frame.readerIndex() + payloadOffset;
    byte[] deflated = ByteBufUtil.getBytes(frame, start, frame.writerIndex() - start);
    byte[] inflated = new byte[INFLATED_HEADER_BYTES];
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(deflated);
      int n = inflater.inflate(inflated);
      ByteBuf message = io.netty.buffer.Unpooled.wrappedBuffer(inflated, 0, n);
      return protocol.readMessageBegin(new ThriftReader(message, 0, 0, n, true, limits));
    } catch (DataFormatException | ThriftCodecException e) {
      return null;
    } finally {
      inflater.end();
    }
  }

  /**
   * Writes a THeader frame's length, magic, flags, sequence number and a header that names
   * {@code protocol} and no transform or info header; the payload follows. Returns the mark for
   * {@link #endFrame}.
   */
  static int beginFrame(ByteBuf out, ThriftProtocol protocol, int seqId) {
    int mark = out.writerIndex();
    out.writeInt(0).writeShort(MAGIC).writeShort(0).writeInt(seqId).writeShort(1);
    // One word: the protocol id, no transforms, padding.
    out.writeByte(protocol instanceof CompactProtocol ? PROTOCOL_COMPACT : PROTOCOL_BINARY)
        .writeByte(0).writeShort(0);
    return mark;
  }

  static void endFrame(ByteBuf out, int mark) {
    out.setInt(mark, out.writerIndex() - mark - ThriftTransport.LENGTH_PREFIX);
  }

  /**
   * A copy of {@code frame} (a THeader frame with this header) whose key/value info headers have
   * {@code mutation} applied: unchanged headers keep their bytes, changed and new ones follow
   * them in one key/value section, the info sections this codec does not read keep their bytes
   * after it. Flags, sequence number, protocol, transforms and payload are copied.
   */
  ByteBuf withInfoHeaders(ByteBuf frame, Mutation mutation, ByteBufAllocator alloc,
      ThriftLimits limits) {
    int start = frame.readerIndex();
    int headerEnd = start + payloadOffset;
    ByteBuf header = alloc.buffer(payloadOffset + 64);
    try {
      ThriftReader r = new ThriftReader(frame, start, start + FIXED_BYTES, headerEnd, true, limits);
      r.readVarint(5, "the THeader protocol id");
      long transformCount = r.readVarint(5, "the THeader transform count");
      for (long i = 0; i < transformCount; i++) {
        r.readVarint(5, "a THeader transform id");
      }
      // Protocol id and transforms, as they were.
      header.writeBytes(frame, start + FIXED_BYTES, r.offset() - FIXED_BYTES);
      Metadata result = new Metadata(infoHeaders.size() + mutation.sets().size());
      ByteBuf entries = alloc.buffer();
      try {
        int unread = payloadOffset;
        while (r.offset() < payloadOffset) {
          int sectionAt = r.offset();
          if (r.readVarint(5, "a THeader info id") != INFO_KEY_VALUE) {
            unread = sectionAt;
            break;
          }
          long count = r.readVarint(5, "the THeader info header count");
          for (long i = 0; i < count; i++) {
            int entryAt = r.offset();
            String key = readString(r, "a THeader info header key");
            readString(r, "a THeader info header value");
            if (!mutation.removes(key) && !mutation.sets().contains(key) && !result.contains(key)) {
              result.put(key, "");
              entries.writeBytes(frame, start + entryAt, r.offset() - entryAt);
            }
          }
        }
        int count = result.size();
        for (int i = 0; i < mutation.sets().size(); i++) {
          CompactProtocol.writeString(entries, mutation.sets().keyAt(i));
          CompactProtocol.writeString(entries, mutation.sets().valueAt(i));
          count++;
        }
        if (count > 0) {
          CompactProtocol.writeVarint(header, INFO_KEY_VALUE);
          CompactProtocol.writeVarint(header, count);
          header.writeBytes(entries);
        }
        header.writeBytes(frame, start + unread, payloadOffset - unread);
      } finally {
        entries.release();
      }
      header.writeZero((4 - header.readableBytes() % 4) % 4);
      if (header.readableBytes() / 4 > 0xffff) {
        throw new ThriftCodecException("the THeader header would grow past 262140 bytes");
      }
      int payload = frame.writerIndex() - headerEnd;
      ByteBuf out = alloc.buffer(FIXED_BYTES + header.readableBytes() + payload);
      out.writeInt(0).writeBytes(frame, start + 4, HEADER_WORDS_OFFSET - 4)
          .writeShort(header.readableBytes() / 4).writeBytes(header)
          .writeBytes(frame, headerEnd, payload);
      endFrame(out, 0);
      return out;
    } finally {
      header.release();
    }
  }

  /**
   * {@code frame} (a THeader frame; ownership passes here) with {@code seqId} in its header and
   * in its message, whose seq id sits {@code messageSeqIdOffset} bytes into the payload. The
   * payload is found from the frame's own header size, so a re-encoded header is fine.
   */
  static ByteBuf withSeqId(ByteBuf frame, int messageSeqIdOffset, boolean varint, long seqId) {
    int start = frame.readerIndex();
    frame.setInt(start + SEQ_ID_OFFSET, (int) seqId);
    int at = FIXED_BYTES + frame.getUnsignedShort(start + HEADER_WORDS_OFFSET) * 4
        + messageSeqIdOffset;
    if (!varint) {
      frame.setInt(start + at, (int) seqId);
      return frame;
    }
    return CompactProtocol.withSeqId(frame, at, true, seqId);
  }
}

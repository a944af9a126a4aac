package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.protean.proxy.codec.thrift.ThriftReader.NeedMoreBytes;

/** A Thrift transport: where a message starts and ends on the stream, whatever the protocol. */
enum ThriftTransport {

  /** TFramedTransport: a 4-byte big-endian length, then the message. */
  FRAMED {
    @Override
    Located locate(ByteBuf in, ThriftProtocol protocol, ThriftLimits limits) {
      Located incomplete = incompleteFrame(in, limits);
      if (incomplete != null) {
        return incomplete;
      }
      int start = in.readerIndex();
      int length = in.getInt(start);
      ThriftReader r = new ThriftReader(in, start, start + LENGTH_PREFIX,
          start + LENGTH_PREFIX + length, true, limits);
      ThriftMessageHeader header = protocol.readMessageBegin(r);
      return new Located(header, LENGTH_PREFIX + length, null,
          malformedArguments(protocol, r, header, LENGTH_PREFIX + length));
    }

    @Override
    int beginFrame(ByteBuf out, ThriftProtocol protocol, int seqId) {
      int at = out.writerIndex();
      out.writeInt(0);
      return at;
    }

    @Override
    void endFrame(ByteBuf out, int mark) {
      out.setInt(mark, out.writerIndex() - mark - LENGTH_PREFIX);
    }
  },

  /**
   * THeader: a 4-byte length, magic 0x0fff, then a header of its own ({@link THeader}) and the
   * message in the protocol the header names.
   */
  HEADER {
    @Override
    Located locate(ByteBuf in, ThriftProtocol protocol, ThriftLimits limits) {
      Located incomplete = incompleteFrame(in, limits);
      if (incomplete != null) {
        return incomplete;
      }
      int start = in.readerIndex();
      int length = in.getInt(start);
      int end = start + LENGTH_PREFIX + length;
      if (length < THeader.FIXED_BYTES - LENGTH_PREFIX
          || in.getUnsignedShort(start + LENGTH_PREFIX) != HEADER_MAGIC) {
        throw new ThriftCodecException(String.format("expected a THeader frame (magic 0x0fff at"
            + " offset 4), found a %d-byte frame starting 0x%04x", length,
            length < 2 ? 0 : in.getUnsignedShort(start + LENGTH_PREFIX)));
      }
      THeader header = THeader.read(in, start, end, limits);
      if (header.refusal() != null) {
        return new Located(null, LENGTH_PREFIX + length, header, null);
      }
      ThriftReader r = new ThriftReader(in, start, start + header.payloadOffset(), end, true, limits);
      ThriftMessageHeader message = header.protocol().readMessageBegin(r);
      return new Located(message, LENGTH_PREFIX + length, header,
          malformedArguments(header.protocol(), r, message, LENGTH_PREFIX + length));
    }

    @Override
    int beginFrame(ByteBuf out, ThriftProtocol protocol, int seqId) {
      return THeader.beginFrame(out, protocol, seqId);
    }

    @Override
    void endFrame(ByteBuf out, int mark) {
      THeader.endFrame(out, mark);
    }
  },

  /** TSocket without framing: the message alone, so its end is found by skipping its struct. */
  UNFRAMED {
    @Override
    Located locate(ByteBuf in, ThriftProtocol protocol, ThriftLimits limits) {
      int start = in.readerIndex();
      int end = (int) Math.min(in.writerIndex(), (long) start + limits.maxFrameBytes());
      ThriftReader r = new ThriftReader(in, start, start, end, false, limits);
      try {
        ThriftMessageHeader header = protocol.readMessageBegin(r);
        protocol.skipStruct(r);
        return new Located(header, r.offset());
      } catch (NeedMoreBytes e) {
        // Parsed again from the start once the bytes the parse stopped at have arrived: simpler
        // than a resumable parser, and a long string or binary costs one re-parse, not one per read.
        return Located.needing(e.bytes);
      }
    }

    @Override
    int beginFrame(ByteBuf out, ThriftProtocol protocol, int seqId) {
      return out.writerIndex();
    }

    @Override
    void endFrame(ByteBuf out, int mark) {
      // Nothing to fill in.
    }
  };

  static final int LENGTH_PREFIX = 4;
  /** THeader's magic in the two bytes after its length prefix. */
  static final int HEADER_MAGIC = 0x0fff;

  /**
   * The message at the reader index: its header and how many bytes it takes on the wire, and why
   * its body cannot be read when it cannot (null when it can); or, when incomplete, a null header
   * and the least number of bytes it takes. A THeader frame also carries its own header; when
   * that refuses the payload (a transform) the message header is null.
   */
  record Located(ThriftMessageHeader header, int frameLength, THeader theader,
      String malformedBody) {
    Located(ThriftMessageHeader header, int frameLength) {
      this(header, frameLength, null, null);
    }

    static Located needing(int bytes) {
      return new Located(null, bytes);
    }

    /** Complete: a message, or a THeader frame whose payload this codec does not read. */
    boolean complete() {
      return header != null || theader != null;
    }
  }

  /**
   * Finds the message at {@code in.readerIndex()} without consuming it.
   *
   * @return the message, complete or not
   * @throws ThriftCodecException on malformed or oversize input
   */
  abstract Located locate(ByteBuf in, ThriftProtocol protocol, ThriftLimits limits);

  /**
   * Starts a message of {@code protocol} with {@code seqId} in {@code out}; returns a mark for
   * {@link #endFrame}.
   */
  abstract int beginFrame(ByteBuf out, ThriftProtocol protocol, int seqId);

  /** Completes the message started at {@code mark}. */
  abstract void endFrame(ByteBuf out, int mark);

  /** Where the message of the complete frame {@code frame} starts, from the frame start. */
  int messageOffset(ByteBuf frame) {
    return switch (this) {
      case FRAMED -> LENGTH_PREFIX;
      case UNFRAMED -> 0;
      case HEADER -> THeader.FIXED_BYTES
          + frame.getUnsignedShort(frame.readerIndex() + THeader.HEADER_WORDS_OFFSET) * 4;
    };
  }

  /**
   * What a length-prefixed frame at the reader index still needs, or null when it is buffered
   * whole; its length is checked against the limit from the prefix alone.
   */
  private static Located incompleteFrame(ByteBuf in, ThriftLimits limits) {
    if (in.readableBytes() < LENGTH_PREFIX) {
      return Located.needing(LENGTH_PREFIX);
    }
    int length = checkLength(in.getInt(in.readerIndex()), limits);
    return in.readableBytes() < LENGTH_PREFIX + length ? Located.needing(LENGTH_PREFIX + length)
        : null;
  }

  /**
   * Why the arguments of a framed call do not read to the end of its frame, or null when they do
   * (and for replies, which go to one client only). A call may share an upstream connection with
   * other clients' calls: a server that cannot read one may close that connection under them.
   */
  private static String malformedArguments(ThriftProtocol protocol, ThriftReader r,
      ThriftMessageHeader header, int frameEnd) {
    if (header.type() != ThriftMessageHeader.CALL && header.type() != ThriftMessageHeader.ONEWAY) {
      return null;
    }
    try {
      protocol.skipStruct(r);
      if (r.offset() != frameEnd) {
        throw r.error("the arguments end before the frame does (" + (frameEnd - r.offset())
            + " bytes left over)", r.offset());
      }
    } catch (ThriftCodecException e) {
      return e.getMessage();
    }
    return null;
  }

  /** Checks a frame length prefix against the limit, before any of the frame is buffered. */
  static int checkLength(int length, ThriftLimits limits) {
    if (length <= 0 || length > limits.maxFrameBytes()) {
      throw new ThriftCodecException("expected a frame length between 1 and "
          + limits.maxFrameBytes() + ", found " + Integer.toUnsignedString(length) + " at offset 0");
    }
    return length;
  }
}

package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.protean.proxy.codec.thrift.ThriftReader.NeedMoreBytes;

/** A Thrift transport: where a message starts and ends on the stream, whatever the protocol. */
enum ThriftTransport {

  /** TFramedTransport: a 4-byte big-endian length, then the message. */
  FRAMED {
    @Override
    Located locate(ByteBuf in, ThriftProtocol protocol, ThriftLimits limits) {
      int start = in.readerIndex();
      if (in.readableBytes() < LENGTH_PREFIX) {
        return Located.needing(LENGTH_PREFIX);
      }
      int length = checkLength(in.getInt(start), limits);
      if (in.readableBytes() < LENGTH_PREFIX + length) {
        return Located.needing(LENGTH_PREFIX + length);
      }
      ThriftReader r = new ThriftReader(in, start, start + LENGTH_PREFIX,
          start + LENGTH_PREFIX + length, true, limits);
      ThriftMessageHeader header = protocol.readMessageBegin(r);
      if (header.type() != ThriftMessageHeader.CALL && header.type() != ThriftMessageHeader.ONEWAY) {
        return new Located(header, LENGTH_PREFIX + length); // a reply goes to one client only
      }
      // A call may share an upstream connection with other clients' calls: its arguments are
      // checked to the end, since a server that cannot read them may close that connection.
      try {
        protocol.skipStruct(r);
        if (r.offset() != LENGTH_PREFIX + length) {
          throw r.error("the arguments end before the frame does (" + (LENGTH_PREFIX + length
              - r.offset()) + " bytes left over)", r.offset());
        }
      } catch (ThriftCodecException e) {
        return new Located(header, LENGTH_PREFIX + length, e.getMessage());
      }
      return new Located(header, LENGTH_PREFIX + length);
    }

    @Override
    int beginFrame(ByteBuf out) {
      int at = out.writerIndex();
      out.writeInt(0);
      return at;
    }

    @Override
    void endFrame(ByteBuf out, int mark) {
      out.setInt(mark, out.writerIndex() - mark - LENGTH_PREFIX);
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
    int beginFrame(ByteBuf out) {
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
   * and the least number of bytes it takes.
   */
  record Located(ThriftMessageHeader header, int frameLength, String malformedBody) {
    Located(ThriftMessageHeader header, int frameLength) {
      this(header, frameLength, null);
    }

    static Located needing(int bytes) {
      return new Located(null, bytes);
    }

    boolean complete() {
      return header != null;
    }
  }

  /**
   * Finds the message at {@code in.readerIndex()} without consuming it.
   *
   * @return the message, complete or not
   * @throws ThriftCodecException on malformed or oversize input
   */
  abstract Located locate(ByteBuf in, ThriftProtocol protocol, ThriftLimits limits);

  /** Starts a message in {@code out}; returns a mark for {@link #endFrame}. */
  abstract int beginFrame(ByteBuf out);

  /** Completes the message started at {@code mark}. */
  abstract void endFrame(ByteBuf out, int mark);

  /** Checks a frame length prefix against the limit, before any of the frame is buffered. */
  static int checkLength(int length, ThriftLimits limits) {
    if (length <= 0 || length > limits.maxFrameBytes()) {
      throw new ThriftCodecException("expected a frame length between 1 and "
          + limits.maxFrameBytes() + ", found " + Integer.toUnsignedString(length) + " at offset 0");
    }
    return length;
  }
}

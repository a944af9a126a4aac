package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.Mutation;

/**
 * A Thrift codec for one connection. The transport (framed or unframed) and the protocol (binary
 * or compact) are detected from the connection's first bytes, unless configured, and then fixed.
 *
 * <p>Metadata: {@code method}, {@code seq_id}, {@code message_type} (call, reply, exception,
 * oneway) and, for TMultiplexedProtocol names ({@code Service:method}), {@code service} with
 * {@code method} the part after the colon.
 *
 * <p>Request ids: the binary protocol's seq id is a fixed 4-byte field the proxy rewrites in place;
 * the compact protocol's is a varint, so compact connections cannot share upstream connections.
 */
public final class ThriftCodec implements Codec {
  private final ThriftLimits limits;
  private Boolean framed;
  private ThriftProtocol protocol;

  ThriftCodec(ThriftLimits limits, Boolean framed, ThriftProtocol protocol) {
    this.limits = limits;
    this.framed = framed;
    this.protocol = protocol;
  }

  @Override
  public Frame decode(ByteBuf in) {
    int start = in.readerIndex();
    if (framed == null || protocol == null) {
      if (!detect(in, start)) {
        return null;
      }
    }
    Cursor c;
    int frameEnd;
    if (framed) {
      if (in.readableBytes() < 4) {
        return null;
      }
      int len = in.getInt(start);
      checkFrameLength(len);
      if (in.readableBytes() < 4 + len) {
        return null;
      }
      frameEnd = start + 4 + len;
      c = new Cursor(in, start, frameEnd, false);
      c.pos = start + 4;
    } else {
      c = new Cursor(in, start, in.writerIndex(), true);
      frameEnd = -1;
    }
    ThriftProtocol.Header h;
    try {
      h = protocol.readHeader(c, limits);
      protocol.skipStruct(c, limits, 0);
    } catch (Cursor.NeedMore more) {
      if (in.readableBytes() > limits.maxFrameBytes()) {
        throw new ThriftCodecException("unframed message longer than " + limits.maxFrameBytes() + " bytes");
      }
      return null;
    }
    int end = framed ? frameEnd : c.pos;
    if (framed && c.pos != frameEnd) {
      throw c.error((frameEnd - c.pos) + " bytes after the message inside its frame");
    }
    Frame f = new Frame(in.retainedSlice(start, end - start), type(h.type(), c),
        Integer.toUnsignedLong(h.seqId()), metadata(h), status(h.type()),
        h.seqIdOffset() < 0 ? 0 : h.seqIdOffset(), h.seqIdOffset() < 0 ? 0 : 4);
    in.readerIndex(end);
    return f;
  }

  private void checkFrameLength(int len) {
    if (len < 0 || len > limits.maxFrameBytes()) {
      throw new ThriftCodecException("frame length " + Integer.toUnsignedString(len)
          + " outside 0.." + limits.maxFrameBytes());
    }
  }

  /** Fixes transport and protocol from the first bytes; false if more bytes are needed. */
  private boolean detect(ByteBuf in, int start) {
    int available = in.readableBytes();
    if (framed == null) {
      if (available < 1) {
        return false;
      }
      int b0 = in.getUnsignedByte(start);
      framed = b0 != 0x80 && b0 != 0x82;
    }
    if (framed && available >= 4) {
      checkFrameLength(in.getInt(start)); // garbage is refused before waiting for more of it
    }
    if (protocol == null) {
      int at = start + (framed ? 4 : 0);
      if (in.writerIndex() <= at) {
        return false;
      }
      int b = in.getUnsignedByte(at);
      protocol = switch (b) {
        case 0x80 -> ThriftProtocol.BINARY;
        case 0x82 -> ThriftProtocol.COMPACT;
        default -> throw new ThriftCodecException(String.format(
            "expected a binary (0x80) or compact (0x82) message%s, found 0x%02x",
            framed ? " after the frame length" : "", b));
      };
    }
    return true;
  }

  private static MessageType type(int t, Cursor c) {
    return switch (t) {
      case ThriftProtocol.CALL -> MessageType.REQUEST;
      case ThriftProtocol.ONEWAY -> MessageType.ONEWAY;
      case ThriftProtocol.REPLY -> MessageType.RESPONSE;
      case ThriftProtocol.EXCEPTION -> MessageType.ERROR;
      default -> throw new ThriftCodecException("unknown message type " + t);
    };
  }

  private static String status(int t) {
    return switch (t) {
      case ThriftProtocol.REPLY -> "OK";
      case ThriftProtocol.EXCEPTION -> "EXCEPTION";
      default -> null;
    };
  }

  private static Metadata metadata(ThriftProtocol.Header h) {
    Metadata m = new Metadata(4);
    int colon = h.name().indexOf(':');
    if (colon >= 0) {
      m.put("service", h.name().substring(0, colon));
      m.put("method", h.name().substring(colon + 1));
    } else {
      m.put("method", h.name());
    }
    m.put("seq_id", Integer.toString(h.seqId()));
    m.put("message_type", switch (h.type()) {
      case ThriftProtocol.CALL -> "call";
      case ThriftProtocol.REPLY -> "reply";
      case ThriftProtocol.EXCEPTION -> "exception";
      default -> "oneway";
    });
    return m;
  }

  /** Thrift messages carry no header map: nothing to rewrite. */
  @Override
  public ByteBuf encode(Frame frame, Mutation mutation, ByteBufAllocator alloc) {
    throw new ThriftCodecException("binary and compact messages carry no metadata map to rewrite "
        + "(THeader transport would; not supported yet)");
  }

  /** A TApplicationException reply in the connection's transport and protocol. */
  @Override
  public ByteBuf errorReply(Frame request, ErrorType error, String message, ByteBufAllocator alloc) {
    if (request.type() == MessageType.ONEWAY) {
      return null;
    }
    String method = request.metadata().get("method");
    String service = request.metadata().get("service");
    String name = service == null ? method : service + ":" + method;
    ByteBuf out = alloc.buffer(64 + message.length());
    if (framed) {
      out.writeInt(0);
    }
    protocol.writeException(out, name, (int) request.requestId(), message, applicationErrorType(error));
    if (framed) {
      out.setInt(0, out.readableBytes() - 4);
    }
    return out;
  }

  /** TApplicationException types: UNKNOWN_METHOD 1, INTERNAL_ERROR 6, PROTOCOL_ERROR 7. */
  static int applicationErrorType(ErrorType error) {
    return switch (error) {
      case ROUTE_NOT_FOUND, CLUSTER_NOT_FOUND -> 1;
      case CODEC_FAILURE -> 7;
      default -> 6;
    };
  }

  @Override
  public ByteBuf heartbeatReply(Frame heartbeat, ByteBufAllocator alloc) {
    throw new ThriftCodecException("Thrift has no heartbeats");
  }
}

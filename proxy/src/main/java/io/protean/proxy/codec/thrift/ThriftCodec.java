package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.Mutation;
import io.protean.abi.codec.RejectedRequestException;
import io.protean.abi.codec.ResponseClass;
import io.protean.proxy.codec.thrift.ThriftTransport.Located;
import java.util.List;
import java.util.Set;

/**
 * The Thrift codec of one connection. It keeps the transport and protocol it detected on the
 * connection's first message (or was configured with); every later message must use the same.
 *
 * <p>Metadata: {@code method}, {@code seq_id}, {@code message_type} (call, reply, exception,
 * oneway), and for a multiplexed name {@code "Service:method"} ({@code TMultiplexedProtocol})
 * {@code service} plus {@code method} without the prefix.
 *
 * <p>The request id is the seq id. The binary protocol writes it as 4 big-endian bytes, which the
 * proxy patches in place; the compact protocol writes a varint, whose length changes with its
 * value, so a compact frame carries an {@link Frame.IdRewriter} that re-encodes the header.
 */
public final class ThriftCodec implements Codec {
  /** TApplicationException types (libthrift's {@code TApplicationException} constants). */
  static final int UNKNOWN_METHOD = 1;
  static final int INTERNAL_ERROR = 6;
  static final int PROTOCOL_ERROR = 7;
  /** fbthrift's types beyond libthrift's last (10, UNSUPPORTED_CLIENT_TYPE). */
  static final int LOADSHEDDING = 11;
  static final int TIMEOUT = 12;

  /** The metadata keys the message itself carries: not info headers, so not mutable. */
  private static final List<String> MESSAGE_KEYS = List.of("method", "service", "seq_id",
      "message_type");

  private final ThriftLimits limits;
  private final Set<String> onewayMethods;
  private final ThriftTransport configuredTransport;
  private final String configuredProtocol;
  /** Null until the connection's first message is seen. */
  private ThriftTransport transport;
  private ThriftProtocol protocol;
  /**
   * The least number of bytes the message at the reader index takes, as far as the last attempt
   * saw; no attempt is made before they are buffered. Stays valid when the input moves: bytes are
   * only appended behind an unconsumed message.
   */
  private int awaiting;

  /**
   * @param transport the transport to expect, or null to detect it
   * @param protocol  "binary" or "compact" to expect, or null to detect it
   * @param onewayMethods methods whose CALL messages are one-way (the Go library writes a oneway
   *                      call as CALL): "method", or "Service:method" for one multiplexed service
   */
  ThriftCodec(ThriftLimits limits, ThriftTransport transport, String protocol,
      Set<String> onewayMethods) {
    this.limits = limits;
    this.onewayMethods = onewayMethods;
    this.configuredTransport = transport;
    this.configuredProtocol = protocol;
  }

  @Override
  public Frame decode(ByteBuf in) {
    if (!in.isReadable() || in.readableBytes() < awaiting || transport == null && !detect(in)) {
      return null;
    }
    Located message = transport.locate(in, protocol, limits);
    if (!message.complete()) {
      awaiting = message.frameLength();
      return null;
    }
    awaiting = 0;
    THeader theader = message.theader();
    if (theader != null) {
      choose(ThriftTransport.HEADER, theader.protocol(), THeader.FIXED_BYTES);
    }
    ThriftMessageHeader h = message.header();
    if (h == null) {
      return refused(in, theader, message.frameLength());
    }
    Metadata metadata = metadata(h, theader);
    String method = metadata.get("method");
    MessageType type = switch (h.type()) {
      case ThriftMessageHeader.CALL -> onewayMethods.contains(method)
          || onewayMethods.contains(h.name()) ? MessageType.ONEWAY : MessageType.REQUEST;
      case ThriftMessageHeader.ONEWAY -> MessageType.ONEWAY;
      case ThriftMessageHeader.REPLY -> MessageType.RESPONSE;
      default -> MessageType.ERROR;
    };
    if (message.malformedBody() != null) {
      // The frame length says where the next message starts: only this call is bad.
      in.skipBytes(message.frameLength());
      throw new RejectedRequestException(new Frame(Unpooled.EMPTY_BUFFER, type, h.seqId(),
          metadata, null, 0, 0), 0, message.malformedBody() + " (the arguments of a call of "
          + h.name() + ")");
    }
    String status = switch (h.type()) {
      case ThriftMessageHeader.REPLY -> "OK";
      case ThriftMessageHeader.EXCEPTION -> "EXCEPTION";
      default -> null;
    };
    ByteBuf content = in.retainedSlice(in.readerIndex(), message.frameLength());
    Frame frame;
    int offset = h.seqIdOffset();
    if (theader != null) {
      int inPayload = offset - theader.payloadOffset();
      boolean varint = h.varint();
      frame = new Frame(content, type, h.seqId(), metadata, status,
          (bytes, id) -> THeader.withSeqId(bytes, inPayload, varint, id));
    } else if (!h.varint()) {
      frame = new Frame(content, type, h.seqId(), metadata, status, offset, 4);
    } else {
      boolean framed = transport == ThriftTransport.FRAMED;
      frame = new Frame(content, type, h.seqId(), metadata, status,
          (bytes, id) -> CompactProtocol.withSeqId(bytes, offset, framed, id));
    }
    in.skipBytes(message.frameLength());
    return frame;
  }

  /** The header of a call whose rest has not arrived; null when the header is not all there. */
  @Override
  public Frame incompleteRequest(ByteBuf buffered) {
    if (transport == null) {
      return null;
    }
    int start = buffered.readerIndex();
    int message = transport == ThriftTransport.FRAMED ? start + ThriftTransport.LENGTH_PREFIX : start;
    ThriftReader r = new ThriftReader(buffered, start, message, buffered.writerIndex(), false,
        limits);
    try {
      ThriftMessageHeader h = protocol.readMessageBegin(r);
      return h.type() == ThriftMessageHeader.CALL ? new Frame(Unpooled.EMPTY_BUFFER,
          MessageType.REQUEST, h.seqId(), metadata(h, null), null, 0, 0) : null;
    } catch (ThriftReader.NeedMoreBytes | ThriftCodecException e) {
      return null;
    }
  }

  /** The message's own keys, then a THeader's info headers (when there is one). */
  private static Metadata metadata(ThriftMessageHeader h, THeader theader) {
    Metadata metadata = new Metadata(4 + (theader == null ? 0 : theader.infoHeaders().size()));
    int colon = h.name().indexOf(':');
    if (colon >= 0) {
      metadata.put("service", h.name().substring(0, colon));
    }
    metadata.put("method", h.name().substring(colon + 1));
    metadata.put("seq_id", Integer.toString(h.seqId()));
    metadata.put("message_type", ThriftMessageHeader.typeName(h.type()));
    if (theader != null) {
      // An info header named like one of the message's own keys is forwarded, not shown.
      theader.infoHeaders().forEach((k, v) -> {
        if (!metadata.contains(k)) {
          metadata.put(k, v);
        }
      });
    }
    return metadata;
  }

  /**
   * A THeader call whose payload this codec does not read (a zlib transform): a request the proxy
   * answers with the refusal ({@link Frame#refused}), named after its method when the first bytes
   * of the inflated payload tell it. Anything but a call closes the connection.
   */
  private Frame refused(ByteBuf in, THeader theader, int frameLength) {
    ThriftMessageHeader h = theader.inflatedMessageHeader(
        in.slice(in.readerIndex(), frameLength), limits);
    if (h != null && h.type() != ThriftMessageHeader.CALL && h.type() != ThriftMessageHeader.ONEWAY) {
      throw new ThriftCodecException(theader.refusal() + " (a " + ThriftMessageHeader.typeName(h.type())
          + " message at offset 0)");
    }
    String name = h == null ? "" : h.name();
    Metadata metadata = new Metadata(3);
    metadata.put("method", name.substring(name.indexOf(':') + 1));
    int seqId = h == null ? theader.seqId() : h.seqId();
    metadata.put("seq_id", Integer.toString(seqId));
    MessageType type = h != null && (h.type() == ThriftMessageHeader.ONEWAY
        || onewayMethods.contains(metadata.get("method"))) ? MessageType.ONEWAY : MessageType.REQUEST;
    metadata.put("message_type", type == MessageType.ONEWAY ? "oneway" : "call");
    Frame frame = new Frame(in.readRetainedSlice(frameLength), type, seqId, metadata, null, 0, 0);
    return frame.unreadable(theader.refusal());
  }

  /**
   * Picks the transport and protocol from the connection's first bytes: 0x80 or 0x82 start an
   * unframed binary or compact message; anything else is a frame length, after which 0x0fff is
   * THeader (whose header names the protocol), 0x80 strict binary, 0x82 compact, and anything
   * else an old (non-strict) binary header.
   *
   * @return false when more bytes are needed
   */
  private boolean detect(ByteBuf in) {
    int start = in.readerIndex();
    int first = in.getUnsignedByte(start);
    if (first == 0x80 || first == CompactProtocol.PROTOCOL_ID) {
      if (configuredTransport == ThriftTransport.FRAMED
          || configuredTransport == ThriftTransport.HEADER) {
        throw new ThriftCodecException(String.format("expected a %s message (a 4-byte length),"
            + " found 0x%02x at offset 0, which starts an unframed message", expected(), first));
      }
      choose(ThriftTransport.UNFRAMED,
          first == 0x80 ? BinaryProtocol.STRICT : CompactProtocol.INSTANCE, 0);
      return true;
    }
    if (configuredTransport == ThriftTransport.UNFRAMED) {
      throw new ThriftCodecException(String.format("expected an unframed binary (0x80) or compact"
          + " (0x82) message, found 0x%02x at offset 0", first));
    }
    if (in.readableBytes() < ThriftTransport.LENGTH_PREFIX) {
      return false;
    }
    ThriftTransport.checkLength(in.getInt(start), limits);
    if (in.readableBytes() < ThriftTransport.LENGTH_PREFIX + 2) {
      return false;
    }
    boolean header = in.getUnsignedShort(start + 4) == ThriftTransport.HEADER_MAGIC;
    if (header != (configuredTransport == ThriftTransport.HEADER) && configuredTransport != null) {
      throw new ThriftCodecException(String.format("expected a %s message, found %s at offset 4",
          expected(), header ? "the THeader magic 0x0fff"
              : String.format("0x%04x instead of the THeader magic 0x0fff",
                  in.getUnsignedShort(start + 4))));
    }
    if (header) {
      transport = ThriftTransport.HEADER; // the protocol is in the frame's header
      return true;
    }
    int payload = in.getUnsignedByte(start + 4);
    choose(ThriftTransport.FRAMED, payload == 0x80 ? BinaryProtocol.STRICT
        : payload == CompactProtocol.PROTOCOL_ID ? CompactProtocol.INSTANCE : BinaryProtocol.OLD, 4);
    return true;
  }

  private String expected() {
    return configuredTransport == ThriftTransport.HEADER ? "THeader" : "framed";
  }

  private void choose(ThriftTransport t, ThriftProtocol p, int offset) {
    String expected = protocol != null ? protocol.name() : configuredProtocol;
    if (expected != null && !expected.equals(p.name())) {
      throw new ThriftCodecException("expected the " + expected + " protocol, found the "
          + p.name() + " protocol at offset " + offset);
    }
    transport = t;
    protocol = p;
  }

  /**
   * Applies {@code mutation} to a THeader frame's key/value info headers ({@link
   * THeader#withInfoHeaders}). Binary and compact messages without THeader carry no header map,
   * so only an empty mutation can be encoded for them (a copy of the frame); nor can the keys
   * the message itself carries (method, service, seq_id, message_type) be changed.
   */
  @Override
  public ByteBuf encode(Frame frame, Mutation mutation, ByteBufAllocator alloc) {
    ByteBuf content = frame.content();
    if (mutation.isEmpty()) {
      return alloc.buffer(content.readableBytes()).writeBytes(content, content.readerIndex(),
          content.readableBytes());
    }
    if (transport != ThriftTransport.HEADER) {
      throw new ThriftCodecException("cannot apply " + mutation + ": binary and compact Thrift"
          + " messages carry no header map to change (THeader's info headers do)");
    }
    for (String key : MESSAGE_KEYS) {
      if (mutation.removes(key) || mutation.sets().contains(key)) {
        throw new ThriftCodecException("cannot apply " + mutation + ": " + key + " is the Thrift"
            + " message's own, not a THeader info header");
      }
    }
    THeader header = THeader.read(content, content.readerIndex(), content.writerIndex(), limits);
    return header.withInfoHeaders(content, mutation, alloc, limits);
  }

  /**
   * A TApplicationException in this connection's transport and protocol, named after the request's
   * method without a service prefix (as libthrift's {@code TMultiplexedProcessor} answers), with
   * the request's seq id.
   */
  @Override
  public ByteBuf errorReply(Frame request, ErrorType error, String message, ByteBufAllocator alloc) {
    if (request.type() != MessageType.REQUEST) {
      return null;
    }
    if (transport == null) {
      throw new ThriftCodecException("no message was decoded on this connection, so its transport"
          + " and protocol are unknown");
    }
    ByteBuf out = alloc.buffer(64 + request.metadata().get("method").length() + message.length());
    try {
      int mark = transport.beginFrame(out, protocol, (int) request.requestId());
      protocol.writeApplicationException(out, request.metadata().get("method"),
          (int) request.requestId(), exceptionType(error), message);
      transport.endFrame(out, mark);
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  static int exceptionType(ErrorType error) {
    return switch (error) {
      case ROUTE_NOT_FOUND, CLUSTER_NOT_FOUND -> UNKNOWN_METHOD;
      case CODEC_FAILURE -> PROTOCOL_ERROR;
      case TIMEOUT, UPSTREAM_CONNECT_FAILURE, UPSTREAM_RESET, NO_HEALTHY_UPSTREAM, OVERLOADED,
          RATE_LIMITED, LOCAL_REPLY, INTERNAL -> INTERNAL_ERROR;
      // TApplicationException has no type for a refusal; the message says which policy refused.
      case PERMISSION_DENIED -> INTERNAL_ERROR;
    };
  }

  /**
   * A reply whose result struct holds field 0 (the return value) or nothing (a void method) is a
   * success, one holding another field a declared exception; an EXCEPTION message is classed by
   * its TApplicationException type. Reads only the message header and the first field(s).
   */
  @Override
  public ResponseClass classify(Frame response) {
    if (transport == null) {
      return ResponseClass.UNKNOWN;
    }
    ByteBuf b = response.content();
    int start = b.readerIndex();
    int message = start + transport.messageOffset(b);
    // The frame is complete, so running out of bytes is an error here, not a wait.
    ThriftReader r = new ThriftReader(b, start, message, b.writerIndex(), true, limits);
    try {
      ThriftMessageHeader h = protocol.readMessageBegin(r);
      return switch (h.type()) {
        case ThriftMessageHeader.REPLY -> protocol.firstFieldId(r) <= 0 ? ResponseClass.SUCCESS
            : ResponseClass.APPLICATION_EXCEPTION;
        case ThriftMessageHeader.EXCEPTION -> exceptionClass(protocol.applicationExceptionType(r));
        default -> ResponseClass.UNKNOWN;
      };
    } catch (ThriftCodecException e) {
      return ResponseClass.UNKNOWN;
    }
  }

  /** libthrift's TApplicationException types by meaning. */
  static ResponseClass exceptionClass(int type) {
    return switch (type) {
      case 0, 5, INTERNAL_ERROR, 13 -> ResponseClass.SERVER_ERROR; // unknown, missing result, injected
      case LOADSHEDDING -> ResponseClass.OVERLOADED;
      case TIMEOUT -> ResponseClass.SERVER_TIMEOUT;
      case -1 -> ResponseClass.UNKNOWN;
      default -> ResponseClass.REQUEST_REJECTED; // unknown method, bad message, protocol error...
    };
  }

  /** Thrift has no heartbeat, and {@link #decode} never yields one. */
  @Override
  public ByteBuf heartbeatReply(Frame heartbeat, ByteBufAllocator alloc) {
    throw new ThriftCodecException("Thrift has no heartbeat message to answer");
  }

  /** "service.method" (a multiplexed call) or "method". */
  @Override
  public String describe(Frame request) {
    Metadata m = request.metadata();
    return (m.get("service") == null ? "" : m.get("service") + ".") + m.get("method");
  }
}

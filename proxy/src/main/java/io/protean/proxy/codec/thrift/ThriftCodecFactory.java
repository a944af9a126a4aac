package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.ProtocolMatch;
import java.util.Map;

/**
 * Creates {@link ThriftCodec}s, one per connection (each remembers its connection's transport and
 * protocol). Recognises framed binary or compact messages, unframed ones (0x80 0x01, 0x82) and
 * THeader (0x0fff after the length).
 */
public final class ThriftCodecFactory implements CodecFactory {
  private final ThriftLimits limits;
  private final ThriftTransport transport;
  private final String protocol;

  /**
   * @param transport "framed" or "unframed", or null to detect it per connection
   * @param protocol  "binary" or "compact", or null to detect it per connection
   */
  public ThriftCodecFactory(ThriftLimits limits, String transport, String protocol) {
    this.limits = limits;
    this.transport = transport == null ? null : ThriftTransport.valueOf(transport.toUpperCase());
    this.protocol = protocol;
  }

  public ThriftCodecFactory() {
    this(ThriftLimits.DEFAULT, null, null);
  }

  @Override
  public String protocol() {
    return "thrift";
  }

  @Override
  public Codec newCodec() {
    return new ThriftCodec(limits, transport, protocol);
  }

  /** Binary and compact messages have no header map; THeader info headers are not re-encoded yet. */
  @Override
  public String encodeRefusal(MessageType type) {
    return "Thrift without THeader carries no " + (type == MessageType.REQUEST
        || type == MessageType.ONEWAY ? "request" : "response") + " headers";
  }

  /** Thrift clients that pipeline calls expect the replies in call order. */
  @Override
  public boolean orderedResponses() {
    return true;
  }

  /** A call of a configured method ({@link ThriftHealthCheck}). */
  @Override
  public HealthCheck healthCheck(Map<String, Object> options) {
    return ThriftHealthCheck.of(options, transport, protocol, limits);
  }

  @Override
  public ProtocolMatch match(ByteBuf firstBytes) {
    int i = firstBytes.readerIndex();
    int n = firstBytes.readableBytes();
    if (n == 0) {
      return ProtocolMatch.NEED_MORE_DATA;
    }
    int first = firstBytes.getUnsignedByte(i);
    if (first == 0x80 || first == CompactProtocol.PROTOCOL_ID) {
      return n < 2 ? ProtocolMatch.NEED_MORE_DATA
          : matchIf(startsMessage(first, firstBytes.getUnsignedByte(i + 1)));
    }
    if (first >= 0x80) {
      return ProtocolMatch.NO_MATCH; // a negative frame length
    }
    if (n < ThriftTransport.LENGTH_PREFIX + 2) {
      return ProtocolMatch.NEED_MORE_DATA;
    }
    return matchIf(firstBytes.getInt(i) > 0
        && (firstBytes.getUnsignedShort(i + 4) == ThriftTransport.HEADER_MAGIC
        || startsMessage(firstBytes.getUnsignedByte(i + 4), firstBytes.getUnsignedByte(i + 5))));
  }

  private static ProtocolMatch matchIf(boolean matches) {
    return matches ? ProtocolMatch.MATCH : ProtocolMatch.NO_MATCH;
  }

  /** Strict binary (0x80 0x01) or compact version 1 (0x82, version in the low 5 bits). */
  private static boolean startsMessage(int first, int second) {
    return first == 0x80 ? second == 0x01
        : first == CompactProtocol.PROTOCOL_ID && (second & 0x1f) == 1;
  }
}

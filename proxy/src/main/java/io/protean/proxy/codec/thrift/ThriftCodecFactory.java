package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.ProtocolMatch;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Creates {@link ThriftCodec}s, one per connection (each remembers its connection's transport and
 * protocol). Recognises framed binary or compact messages, unframed ones (0x80 0x01, 0x82) and
 * THeader (0x0fff after the length).
 */
public final class ThriftCodecFactory implements CodecFactory {
  private final ThriftLimits limits;
  private final ThriftTransport transport;
  private final String protocol;
  private final Set<String> onewayMethods;

  /**
   * @param transport     "framed", "unframed" or "header", or null to detect it per connection
   * @param protocol      "binary" or "compact", or null to detect it per connection
   * @param onewayMethods methods whose CALL messages are one-way ({@link ThriftCodec})
   */
  public ThriftCodecFactory(ThriftLimits limits, String transport, String protocol,
      Set<String> onewayMethods) {
    this.limits = limits;
    this.transport = transport == null ? null
        : ThriftTransport.valueOf(transport.toUpperCase(Locale.ROOT));
    this.protocol = protocol;
    this.onewayMethods = Set.copyOf(onewayMethods);
  }

  public ThriftCodecFactory() {
    this(ThriftLimits.DEFAULT, null, null, Set.of());
  }

  @Override
  public String protocol() {
    return "thrift";
  }

  @Override
  public Codec newCodec() {
    return new ThriftCodec(limits, transport, protocol, onewayMethods);
  }

  /**
   * THeader's info headers can be changed both ways. A listener that may see binary or compact
   * messages without THeader (no header map) takes request changes, refused per call when the
   * call has no THeader, but not response changes, which a client could not tell were lost.
   */
  @Override
  public String encodeRefusal(MessageType type) {
    if (type == MessageType.REQUEST || type == MessageType.ONEWAY || transport == ThriftTransport.HEADER) {
      return null;
    }
    return "Thrift responses carry headers only with the THeader transport; set the codec's"
        + " transport: header";
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

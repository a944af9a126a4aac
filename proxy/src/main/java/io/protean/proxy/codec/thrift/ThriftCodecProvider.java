package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import io.protean.abi.codec.ProtocolMatch;
import java.util.Map;
import java.util.Set;

/**
 * {@code codec: thrift} or {@code codec: {thrift: {transport: auto|framed|unframed,
 * protocol: auto|binary|compact, max_frame_size: 16777216}}}.
 */
public final class ThriftCodecProvider implements CodecProvider {
  private static final Set<String> OPTIONS = Set.of("transport", "protocol", "max_frame_size");

  @Override
  public String name() {
    return "thrift";
  }

  @Override
  public CodecFactory create(Map<String, Object> options) {
    for (String key : options.keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException(key + ": unknown option (expected one of " + OPTIONS + ")");
      }
    }
    String transport = String.valueOf(options.getOrDefault("transport", "auto"));
    Boolean framed = switch (transport) {
      case "auto" -> null;
      case "framed" -> true;
      case "unframed" -> false;
      default -> throw new IllegalArgumentException("transport: expected auto, framed or unframed, found '" + transport + "'");
    };
    String protocolName = String.valueOf(options.getOrDefault("protocol", "auto"));
    ThriftProtocol protocol = switch (protocolName) {
      case "auto" -> null;
      case "binary" -> ThriftProtocol.BINARY;
      case "compact" -> ThriftProtocol.COMPACT;
      default -> throw new IllegalArgumentException("protocol: expected auto, binary or compact, found '" + protocolName + "'");
    };
    ThriftLimits limits = ThriftLimits.DEFAULT;
    Object max = options.get("max_frame_size");
    if (max != null) {
      if (!(max instanceof Integer n) || n <= 0) {
        throw new IllegalArgumentException("max_frame_size: expected a positive number of bytes, found '" + max + "'");
      }
      limits = limits.withMaxFrameBytes(n);
    }
    ThriftLimits l = limits;
    return new CodecFactory() {
      @Override
      public String protocol() {
        return "thrift";
      }

      @Override
      public Codec newCodec() {
        return new ThriftCodec(l, framed, protocol);
      }

      /** Sync Thrift clients check seq ids strictly: answers go back in request order. */
      @Override
      public boolean orderedResponses() {
        return true;
      }

      @Override
      public ProtocolMatch match(ByteBuf first) {
        if (first.readableBytes() < 1) {
          return ProtocolMatch.NEED_MORE_DATA;
        }
        int b0 = first.getUnsignedByte(first.readerIndex());
        if (b0 == 0x80 || b0 == 0x82) {
          return ProtocolMatch.MATCH;
        }
        if (first.readableBytes() < 5) {
          return ProtocolMatch.NEED_MORE_DATA;
        }
        int b4 = first.getUnsignedByte(first.readerIndex() + 4);
        return b4 == 0x80 || b4 == 0x82 ? ProtocolMatch.MATCH : ProtocolMatch.NO_MATCH;
      }
    };
  }
}

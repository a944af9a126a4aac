package io.protean.proxy.codec.dubbo;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.ProtocolMatch;
import java.util.Map;

/** Creates {@link DubboCodec}s; recognises Dubbo by its 0xdabb magic. */
public final class DubboCodecFactory implements CodecFactory {
  private final DubboLimits limits;

  public DubboCodecFactory(DubboLimits limits) {
    this.limits = limits;
  }

  public DubboCodecFactory() {
    this(DubboLimits.DEFAULT);
  }

  @Override
  public String protocol() {
    return "dubbo";
  }

  @Override
  public Codec newCodec() {
    return new DubboCodec(limits); // one per connection: it memoizes the last parameter types
  }

  /** Requests and OK responses carry attachments; an error response carries only its message. */
  @Override
  public String encodeRefusal(MessageType type) {
    return switch (type) {
      case REQUEST, ONEWAY, RESPONSE -> null;
      case ERROR -> "a Dubbo response with an error status carries only its message";
      default -> "a Dubbo " + type.name().toLowerCase(java.util.Locale.ROOT)
          + " carries no attachments";
    };
  }

  @Override
  public ProtocolMatch match(ByteBuf firstBytes) {
    int i = firstBytes.readerIndex();
    if (firstBytes.readableBytes() < 2) {
      return firstBytes.readableBytes() == 1 && firstBytes.getUnsignedByte(i) != 0xda
          ? ProtocolMatch.NO_MATCH : ProtocolMatch.NEED_MORE_DATA;
    }
    return firstBytes.getUnsignedShort(i) == 0xdabb ? ProtocolMatch.MATCH : ProtocolMatch.NO_MATCH;
  }

  /** Dubbo's heartbeat ({@link DubboHeartbeatCheck}); it takes no options. */
  @Override
  public HealthCheck healthCheck(Map<String, Object> options) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException(options.keySet().iterator().next()
          + ": unknown option (the Dubbo health check is its heartbeat and takes no options)");
    }
    return DubboHeartbeatCheck.INSTANCE;
  }
}

package io.protean.proxy.codec.dubbo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;

/**
 * Dubbo's own heartbeat as a health check: a two-way event request (flags 0xe2: request, two-way,
 * event, hessian2) whose body is hessian2 null ({@code N}), as Dubbo's {@code HeartbeatHandler}
 * sends it. A provider answers with an event response, status 20 (OK), body {@code N}
 * (DubboHealthCheckTest shows a Dubbo 3.3 provider does); any other status fails the check.
 */
final class DubboHeartbeatCheck implements HealthCheck {
  static final DubboHeartbeatCheck INSTANCE = new DubboHeartbeatCheck();

  private DubboHeartbeatCheck() {}

  @Override
  public ByteBuf request(long id, ByteBufAllocator alloc) {
    return alloc.buffer(DubboCodec.HEADER + 1).writeShort(DubboCodec.MAGIC)
        .writeByte(DubboCodec.FLAG_REQUEST | DubboCodec.FLAG_TWO_WAY | DubboCodec.FLAG_EVENT
            | DubboCodec.HESSIAN2)
        .writeByte(0).writeLong(id).writeInt(1).writeByte('N');
  }

  @Override
  public boolean passes(Frame answer) {
    return answer.type() == MessageType.RESPONSE && "true".equals(answer.metadata().get("event"));
  }
}

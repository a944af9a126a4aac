package io.protean.proxy.e2e.ordered;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.Mutation;
import java.util.Map;

/**
 * {@code codec: ordered_test}: a test protocol whose clients need answers in request order.
 * Frame: u32 length of the rest, u32 id, u8 kind (0 request, 1 response), payload.
 */
public final class OrderedTestCodecProvider implements CodecProvider {
  @Override
  public String name() {
    return "ordered_test";
  }

  @Override
  public CodecFactory create(Map<String, Object> options) {
    Codec codec = new Codec() {
      @Override
      public Frame decode(ByteBuf in) {
        if (in.readableBytes() < 4 || in.readableBytes() < 4 + in.getInt(in.readerIndex())) {
          return null;
        }
        int r = in.readerIndex();
        int len = 4 + in.getInt(r);
        boolean response = in.getByte(r + 8) == 1;
        Frame f = new Frame(in.retainedSlice(r, len),
            response ? MessageType.RESPONSE : MessageType.REQUEST, in.getUnsignedInt(r + 4),
            new Metadata(), response ? "OK" : null, 4, 4);
        in.skipBytes(len);
        return f;
      }

      @Override
      public ByteBuf encode(Frame frame, Mutation mutation, ByteBufAllocator alloc) {
        throw new UnsupportedOperationException();
      }

      @Override
      public ByteBuf errorReply(Frame request, ErrorType error, String message, ByteBufAllocator alloc) {
        byte[] m = message.getBytes();
        return alloc.buffer().writeInt(5 + m.length).writeInt((int) request.requestId()).writeByte(1).writeBytes(m);
      }

      @Override
      public ByteBuf heartbeatReply(Frame heartbeat, ByteBufAllocator alloc) {
        throw new UnsupportedOperationException();
      }
    };
    return new CodecFactory() {
      @Override
      public String protocol() {
        return "ordered_test";
      }

      @Override
      public Codec newCodec() {
        return codec;
      }

      @Override
      public boolean orderedResponses() {
        return true;
      }
    };
  }
}

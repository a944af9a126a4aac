package io.protean.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.protean.proxy.codec.thrift.gen.Echo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.transport.TMemoryBuffer;

/**
 * Thrift, framed transport and strict binary protocol: {@code Echo.echo(text)} calls written by
 * libthrift's generated client code. The seq id (4 bytes) sits after the version word and the name.
 */
final class ThriftWire implements Wire {
  private static final String METHOD = "echo";
  private static final ByteBuf METHOD_NAME =
      Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(METHOD, StandardCharsets.US_ASCII));
  /** Length prefix, version word, name length, name. */
  static final int SEQ_ID_OFFSET = 4 + 4 + 4 + METHOD.length();
  private final byte[] request;

  ThriftWire(int payloadBytes) {
    try {
      TMemoryBuffer buffer = new TMemoryBuffer(payloadBytes + 64);
      TBinaryProtocol protocol = new TBinaryProtocol(buffer);
      protocol.writeMessageBegin(new TMessage(METHOD, TMessageType.CALL, 0));
      new Echo.echo_args(RequestFrames.payload(payloadBytes)).write(protocol);
      protocol.writeMessageEnd();
      byte[] message = buffer.getArray();
      int length = buffer.length();
      request = ByteBuffer.allocate(4 + length).putInt(length).put(message, 0, length).array();
    } catch (TException e) {
      throw new IllegalStateException("cannot write the Thrift request", e);
    }
  }

  @Override
  public byte[] request() {
    return request;
  }

  @Override
  public int connectionShift() {
    return 20; // 2048 connections x 1M ids each
  }

  @Override
  public int idBits() {
    return 31; // seq ids are i32
  }

  @Override
  public void writeId(ByteBuf frame, long id) {
    frame.setInt(frame.readerIndex() + SEQ_ID_OFFSET, (int) id);
  }

  @Override
  public long readId(ByteBuf frame) {
    int nameLength = frame.getInt(frame.readerIndex() + 8);
    return frame.getInt(frame.readerIndex() + 12 + nameLength);
  }

  @Override
  public ChannelHandler framer() {
    return new LengthFieldBasedFrameDecoder(64 << 20, 0, 4, 0, 0);
  }

  @Override
  public boolean isServerMessage(ByteBuf frame) {
    return false;
  }

  @Override
  public String failure(ByteBuf frame) {
    int version = frame.getInt(frame.readerIndex() + 4);
    if ((version & 0xffff0000) != 0x80010000) {
      return "not a strict binary message (0x" + Integer.toHexString(version) + ")";
    }
    int type = version & 0xff;
    if (type != TMessageType.REPLY) {
      return "message type " + type + " (3 = exception)";
    }
    // The compared body starts after the name: check the name here.
    int nameLength = frame.getInt(frame.readerIndex() + 8);
    if (nameLength != METHOD.length() || !ByteBufUtil.equals(frame, frame.readerIndex() + 12,
        METHOD_NAME, 0, nameLength)) {
      return "a reply to another method than " + METHOD;
    }
    return null;
  }

  @Override
  public int bodyOffset(ByteBuf frame) {
    return 12 + frame.getInt(frame.readerIndex() + 8) + 4;
  }
}

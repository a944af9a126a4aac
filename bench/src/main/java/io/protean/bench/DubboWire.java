package io.protean.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/** Dubbo: EchoService.echo(String) frames built by Dubbo's own codec ({@link RequestFrames}). */
final class DubboWire implements Wire {
  /** Response header flag bit: the frame is a request (e.g. a heartbeat from the server). */
  private static final int FLAG_REQUEST = 0x80;
  private final byte[] request;

  DubboWire(int payloadBytes) {
    this.request = RequestFrames.echoRequest(RequestFrames.payload(payloadBytes));
  }

  @Override
  public byte[] request() {
    return request;
  }

  @Override
  public int connectionShift() {
    return 40;
  }

  @Override
  public int idBits() {
    return 63;
  }

  @Override
  public void writeId(ByteBuf frame, long id) {
    frame.setLong(frame.readerIndex() + RequestFrames.ID_OFFSET, id);
  }

  @Override
  public long readId(ByteBuf frame) {
    return frame.getLong(frame.readerIndex() + RequestFrames.ID_OFFSET);
  }

  @Override
  public ChannelHandler framer() {
    return new LengthFieldBasedFrameDecoder(64 << 20, 12, 4, 0, 0);
  }

  @Override
  public boolean isServerMessage(ByteBuf frame) {
    return (frame.getByte(frame.readerIndex() + 2) & FLAG_REQUEST) != 0;
  }

  @Override
  public String failure(ByteBuf frame) {
    byte status = frame.getByte(frame.readerIndex() + RequestFrames.STATUS_OFFSET);
    return status == RequestFrames.STATUS_OK ? null : "status " + status;
  }

  @Override
  public int bodyOffset(ByteBuf frame) {
    return RequestFrames.HEADER_LENGTH;
  }
}

package io.protean.proxy.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.Frame;
import java.util.List;

/**
 * Adapts a {@link Codec} to a Netty pipeline: cumulates bytes and emits one {@link Frame} per
 * complete message. Frames hold retained slices of the cumulation buffer; whoever receives a frame
 * owns it (see {@link Frame}). A {@link io.protean.abi.codec.CodecException} surfaces as a
 * {@link io.netty.handler.codec.DecoderException} whose cause is the codec's exception; the handler
 * after this one closes the connection.
 *
 * <p>The codec is the connection's: downstream and upstream connections alike put this decoder
 * first in their pipeline, so its removal, when the channel closes, is where the codec learns
 * that its connection is gone ({@link Codec#close()}).
 */
public final class FrameDecoder extends ByteToMessageDecoder {
  private final Codec codec;
  /** Set after a codec error: the stream is out of sync and the connection is closing. */
  private boolean failed;

  public FrameDecoder(Codec codec) {
    this.codec = codec;
  }

  public Codec codec() {
    return codec;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    // The cumulation may have been compacted or replaced since the previous read.
    codec.inputMoved();
    try {
      Frame frame;
      while (in.isReadable() && (frame = codec.decode(in)) != null) {
        out.add(frame);
      }
    } catch (RuntimeException e) {
      // Report once; bytes still buffered (or arriving before the close) are discarded.
      failed = true;
      in.skipBytes(in.readableBytes());
      throw e;
    }
  }

  /** The channel closed (Netty removes every handler, once, on the channel's event loop). */
  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    codec.close();
  }
}

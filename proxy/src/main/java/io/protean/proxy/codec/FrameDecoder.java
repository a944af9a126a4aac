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
  /** Lets a connection move to another codec between two frames (a reload replaced it). */
  @FunctionalInterface
  public interface CodecSwitch {
    /** The codec for the next frame: {@code current}, or its replacement. */
    Codec next(Codec current);
  }

  private Codec codec;
  private final CodecSwitch codecSwitch;
  /** Set after a codec error: the stream is out of sync and the connection is closing. */
  private boolean failed;

  public FrameDecoder(Codec codec) {
    this(codec, null);
  }

  public FrameDecoder(Codec codec, CodecSwitch codecSwitch) {
    this.codec = codec;
    this.codecSwitch = codecSwitch;
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
      while (in.isReadable()) {
        if (codecSwitch != null) {
          Codec next = codecSwitch.next(codec);
          if (next != codec) {
            codec.close(); // the connection is done with it: a Wasm guest forgets the connection
            codec = next;
            codec.inputMoved();
          }
        }
        Frame frame = codec.decode(in);
        if (frame == null) {
          break;
        }
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

package io.protean.proxy.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.RejectedRequestException;
import java.util.List;

/**
 * Adapts a {@link Codec} to a Netty pipeline: cumulates bytes and emits one {@link Frame} per
 * complete message. Frames hold retained slices of the cumulation buffer; whoever receives a frame
 * owns it (see {@link Frame}). A {@link io.protean.abi.codec.CodecException} surfaces as a
 * {@link io.netty.handler.codec.DecoderException} whose cause is the codec's exception; the handler
 * after this one closes the connection. A decoder that answers rejections (a downstream
 * connection's) emits a {@link RejectedRequest} for a {@link RejectedRequestException} instead and
 * discards the rest of that request as it arrives, without buffering it.
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
  private final boolean answersRejections;
  /** Set after a codec error: the stream is out of sync and the connection is closing. */
  private boolean failed;
  /** Bytes of a rejected request still to arrive, skipped as they do. */
  private long discarding;

  /** A decoder for an upstream connection: a rejected request is a codec error like any other. */
  public FrameDecoder(Codec codec) {
    this(codec, null, false);
  }

  /** A decoder for a downstream connection, which answers rejected requests. */
  public FrameDecoder(Codec codec, CodecSwitch codecSwitch) {
    this(codec, codecSwitch, true);
  }

  private FrameDecoder(Codec codec, CodecSwitch codecSwitch, boolean answersRejections) {
    this.codec = codec;
    this.codecSwitch = codecSwitch;
    this.answersRejections = answersRejections;
  }

  /** Bytes of an incomplete message held, waiting for its rest. */
  public int buffered() {
    ByteBuf c = internalBuffer();
    return c == null ? 0 : c.readableBytes();
  }

  /** Whether a message is incomplete: its bytes are held, or a rejected one's are still coming. */
  public boolean partial() {
    return discarding > 0 || buffered() > 0;
  }

  /**
   * The incomplete request at the start of the held bytes, as far as its header tells
   * ({@link Codec#incompleteRequest}); null when there is none or its header is not all there.
   */
  public Frame incompleteRequest() {
    ByteBuf c = internalBuffer();
    return discarding > 0 || c == null || !c.isReadable() ? null : codec.incompleteRequest(c);
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
        if (discarding > 0) {
          int n = (int) Math.min(discarding, in.readableBytes());
          in.skipBytes(n);
          discarding -= n;
          continue;
        }
        if (codecSwitch != null) {
          Codec next = codecSwitch.next(codec);
          if (next != codec) {
            codec.close(); // the connection is done with it: a Wasm guest forgets the connection
            codec = next;
            codec.inputMoved();
          }
        }
        Frame frame;
        try {
          frame = codec.decode(in);
        } catch (RejectedRequestException e) {
          if (!answersRejections) {
            e.request().release();
            throw e;
          }
          out.add(new RejectedRequest(e.request(), e.getMessage()));
          discarding = e.discard();
          continue;
        }
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

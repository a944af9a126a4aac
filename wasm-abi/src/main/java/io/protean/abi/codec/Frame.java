package io.protean.abi.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.util.Objects;

/**
 * One decoded protocol message: what routing needs, plus the original bytes.
 *
 * <p><b>Ownership.</b> A frame holds exactly one reference to {@link #content()}, the complete
 * wire bytes of the message (typically a retained slice of the connection's input). Whoever holds
 * the frame releases it once: by writing {@code content()} to a channel (which releases it) or by
 * calling {@link #release()}. {@link #metadata()} is plain heap data and needs no release.
 */
public final class Frame extends DefaultByteBufHolder {
  private final MessageType type;
  private final long requestId;
  private final Metadata metadata;
  private final String responseStatus;
  private final int idOffset;
  private final int idWidth;
  private final IdRewriter idRewriter;
  private ResponseClass responseClass = ResponseClass.UNKNOWN;
  private String unreadable;

  /**
   * Re-encodes a frame with another request id, for protocols whose id cannot be patched in place
   * (a varint, like Thrift compact's seq id). Kept with the frame so the proxy needs no codec call.
   */
  @FunctionalInterface
  public interface IdRewriter {
    /**
     * @param bytes the frame's bytes (or a re-encoding of them with the same header); ownership
     *              passes here
     * @return the bytes with {@code id} as the request id; ownership passes to the caller
     */
    ByteBuf rewrite(ByteBuf bytes, long id);
  }

  /**
   * @param content        the frame's complete wire bytes; ownership passes to the frame
   * @param type           what the frame is
   * @param requestId      the protocol's request id (Dubbo's 64-bit id, Thrift's seq id)
   * @param metadata       routing key/values (may be empty, never null)
   * @param responseStatus for responses, the protocol's status as a short name ("OK",
   *                       "SERVICE_ERROR"...); null for requests
   * @param idOffset       where the request id sits in the frame's bytes (from the frame start)
   * @param idWidth        its size: 4 or 8 bytes, big-endian; 0 when the id cannot be rewritten in
   *                       place (then the proxy cannot multiplex the protocol)
   */
  public Frame(ByteBuf content, MessageType type, long requestId, Metadata metadata,
      String responseStatus, int idOffset, int idWidth) {
    this(content, type, requestId, metadata, responseStatus, idOffset, idWidth, null);
  }

  /**
   * A frame whose request id is rewritten by re-encoding ({@code idWidth} 0 and an
   * {@code idRewriter}).
   */
  public Frame(ByteBuf content, MessageType type, long requestId, Metadata metadata,
      String responseStatus, IdRewriter idRewriter) {
    this(content, type, requestId, metadata, responseStatus, 0, 0,
        Objects.requireNonNull(idRewriter, "idRewriter"));
  }

  private Frame(ByteBuf content, MessageType type, long requestId, Metadata metadata,
      String responseStatus, int idOffset, int idWidth, IdRewriter idRewriter) {
    super(content);
    this.type = Objects.requireNonNull(type, "type");
    this.requestId = requestId;
    this.metadata = Objects.requireNonNull(metadata, "metadata");
    this.responseStatus = responseStatus;
    if (idWidth != 0 && idWidth != 4 && idWidth != 8) {
      throw new IllegalArgumentException("idWidth must be 0, 4 or 8, not " + idWidth);
    }
    if (idWidth != 0 && (idOffset < 0 || idOffset > content.readableBytes() - idWidth)) {
      throw new IllegalArgumentException("request id at " + idOffset + "+" + idWidth
          + " lies outside the " + content.readableBytes() + "-byte frame");
    }
    this.idOffset = idOffset;
    this.idWidth = idWidth;
    this.idRewriter = idRewriter;
  }

  public MessageType type() {
    return type;
  }

  public long requestId() {
    return requestId;
  }

  public Metadata metadata() {
    return metadata;
  }

  /** The protocol's response status name for responses, or null for requests. */
  public String responseStatus() {
    return responseStatus;
  }

  /**
   * What the decoder said about this response for retry policies, when it said it at decode time
   * (a Wasm codec's decode block does); {@link ResponseClass#UNKNOWN} otherwise. A native codec
   * may instead classify on demand ({@link Codec#classify}).
   */
  public ResponseClass responseClass() {
    return responseClass;
  }

  /**
   * Sets {@link #responseClass()}; for the decoder, before it hands the frame out.
   *
   * @return this frame
   */
  public Frame classified(ResponseClass responseClass) {
    this.responseClass = Objects.requireNonNull(responseClass, "responseClass");
    return this;
  }

  /**
   * Why the codec could not read this request's body though its framing is sound (a Dubbo
   * serialization it does not know, a THeader transform), or null. The proxy answers such a
   * request with the codec's {@link ErrorType#CODEC_FAILURE} reply carrying this reason, without filters or routing, and
   * keeps the connection: the next frame starts where this one ends.
   */
  public String unreadable() {
    return unreadable;
  }

  /**
   * Sets {@link #unreadable()}; for the decoder, before it hands the frame out.
   *
   * @return this frame
   */
  public Frame unreadable(String reason) {
    this.unreadable = Objects.requireNonNull(reason, "reason");
    return this;
  }

  /** Offset of the request id in the frame's bytes (meaningful when {@link #idWidth()} is not 0). */
  public int idOffset() {
    return idOffset;
  }

  /** Size of the request id in the frame's bytes: 4 or 8 (big-endian), or 0. */
  public int idWidth() {
    return idWidth;
  }

  /** True when the request id can be rewritten ({@link #withRequestId}), in place or not. */
  public boolean hasRewritableId() {
    return idWidth != 0 || idRewriter != null;
  }

  /**
   * {@code bytes} (this frame's bytes or a re-encoding of them; ownership passes here) with
   * {@code id} as the request id: patched in place when the id has a fixed position, else
   * re-encoded by the frame's {@link IdRewriter}. Ownership of the result passes to the caller.
   */
  public ByteBuf withRequestId(ByteBuf bytes, long id) {
    if (idWidth != 0) {
      writeRequestId(bytes, id);
      return bytes;
    }
    if (idRewriter == null) {
      throw new IllegalStateException("this frame's request id cannot be rewritten");
    }
    return idRewriter.rewrite(bytes, id);
  }

  /**
   * Writes {@code id} at this frame's request id position into {@code bytes}: the frame's own
   * content or a re-encoding of it (which keeps the id where the original had it). The proxy
   * rewrites ids this way so many clients can share one upstream connection, with no codec call.
   */
  public void writeRequestId(ByteBuf bytes, long id) {
    int at = bytes.readerIndex() + idOffset;
    switch (idWidth) {
      case 8 -> bytes.setLong(at, id);
      case 4 -> bytes.setInt(at, (int) id);
      default -> throw new IllegalStateException("this frame's request id cannot be rewritten");
    }
  }

  /** Number of bytes the frame occupied on the wire (the bytes {@code decode} consumed). */
  public int length() {
    return content().readableBytes();
  }

  @Override
  public Frame replace(ByteBuf content) {
    Frame f = new Frame(content, type, requestId, metadata, responseStatus, idOffset, idWidth,
        idRewriter).classified(responseClass);
    f.unreadable = unreadable;
    return f;
  }

  @Override
  public Frame retain() {
    super.retain();
    return this;
  }

  @Override
  public Frame touch(Object hint) {
    super.touch(hint);
    return this;
  }

  @Override
  public String toString() {
    return "Frame{" + type + ", id=" + requestId + ", bytes=" + length()
        + (responseStatus == null ? "" : ", status=" + responseStatus) + ", " + metadata + '}';
  }
}

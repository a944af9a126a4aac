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

  /**
   * @param content        the frame's complete wire bytes; ownership passes to the frame
   * @param type           what the frame is
   * @param requestId      the protocol's request id (Dubbo's 64-bit id, Thrift's seq id)
   * @param metadata       routing key/values (may be empty, never null)
   * @param responseStatus for responses, the protocol's status as a short name ("OK",
   *                       "SERVICE_ERROR"...); null for requests
   */
  public Frame(
      ByteBuf content, MessageType type, long requestId, Metadata metadata, String responseStatus) {
    super(content);
    this.type = Objects.requireNonNull(type, "type");
    this.requestId = requestId;
    this.metadata = Objects.requireNonNull(metadata, "metadata");
    this.responseStatus = responseStatus;
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

  /** Number of bytes the frame occupied on the wire (the bytes {@code decode} consumed). */
  public int length() {
    return content().readableBytes();
  }

  @Override
  public Frame replace(ByteBuf content) {
    return new Frame(content, type, requestId, metadata, responseStatus);
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

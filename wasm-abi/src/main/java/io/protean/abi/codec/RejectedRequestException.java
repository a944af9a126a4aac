package io.protean.abi.codec;

/**
 * A request the codec cannot pass on but can answer: its header was read, so the codec knows
 * which request it is (type and id), but its body is over a size limit or malformed. The proxy
 * answers it with {@link Codec#errorReply} ({@link ErrorType#CODEC_FAILURE}, this message) and
 * discards the next {@link #discard()} bytes of the stream — the rest of the request, which the
 * codec has not consumed — unbuffered, so the connection and its other requests carry on. A
 * connection that cannot answer requests (an upstream one) treats it as any other
 * {@link CodecException}.
 *
 * <p><b>Ownership.</b> The codec has advanced the input past the bytes it consumed; the frame
 * passes to whoever catches the exception. Its content may be empty: only its type, id and
 * metadata are meant for {@link Codec#errorReply}.
 */
public final class RejectedRequestException extends CodecException {
  private static final long serialVersionUID = 1L;

  private final transient Frame request;
  private final long discard;

  /**
   * @param request the request as far as it was read (ownership passes with the exception)
   * @param discard how many more bytes of the stream belong to it (0: all were consumed)
   */
  public RejectedRequestException(Frame request, long discard, String message) {
    super(message);
    if (discard < 0) {
      throw new IllegalArgumentException("discard must not be negative: " + discard);
    }
    this.request = request;
    this.discard = discard;
  }

  /** The rejected request (type, id, metadata); the catcher owns it. */
  public Frame request() {
    return request;
  }

  /** Bytes still to discard from the stream before the next message starts. */
  public long discard() {
    return discard;
  }
}

package io.protean.abi.codec;

/**
 * The one exception a codec raises on bad input: malformed bytes, a size limit exceeded, an
 * unsupported variant. The message says what was expected and what was found. The proxy closes the
 * connection that sent the bytes and logs the message; other connections are not affected.
 */
public class CodecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CodecException(String message) {
    super(message);
  }

  public CodecException(String message, Throwable cause) {
    super(message, cause);
  }
}

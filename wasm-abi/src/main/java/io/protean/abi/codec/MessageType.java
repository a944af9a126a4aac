package io.protean.abi.codec;

/** What a decoded frame is, as far as the proxy's data path cares. */
public enum MessageType {
  /** A two-way request: exactly one response is expected. */
  REQUEST,
  /** A response to a request, matched by request id. */
  RESPONSE,
  /** A one-way request: no response will come and none may be sent. */
  ONEWAY,
  /** A keep-alive probe; answered locally with {@link Codec#heartbeatReply}. */
  HEARTBEAT,
  /** A protocol-level error frame (a response that carries an error). */
  ERROR,
  /**
   * A protocol event that is neither request nor response. From a server it means: this server
   * is going away (Dubbo's read-only event, for example); the proxy sends it no new requests on
   * that connection and closes it once its requests are answered. A codec maps only such events
   * to this type.
   */
  EVENT,
  STREAM_INIT,
  STREAM_DATA,
  STREAM_CLOSE;

  /** True when the peer waits for an answer to this frame. */
  public boolean expectsResponse() {
    return this == REQUEST || this == HEARTBEAT;
  }
}

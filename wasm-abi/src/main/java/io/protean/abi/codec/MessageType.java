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
  /** A protocol event that is neither request nor response (for example Dubbo's read-only event). */
  EVENT,
  STREAM_INIT,
  STREAM_DATA,
  STREAM_CLOSE;

  /** True when the peer waits for an answer to this frame. */
  public boolean expectsResponse() {
    return this == REQUEST || this == HEARTBEAT;
  }
}

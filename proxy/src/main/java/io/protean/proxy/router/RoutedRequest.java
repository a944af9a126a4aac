package io.protean.proxy.router;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;

/** What the router needs of the request it forwards; implemented by the stream layer. */
public interface RoutedRequest {

  /** The request as decoded (and possibly changed by filters). Owned by the request. */
  Frame request();

  /** Whether an answer is expected (false for one-way requests). */
  boolean twoWay();

  /**
   * The bytes to send upstream: the request as received, or re-encoded when a filter changed its
   * metadata. Each call returns a new buffer owned by the caller.
   */
  ByteBuf upstreamBytes() throws CodecException;

  /**
   * The route's metadata changes: {@code request} keys are set now (before {@link #upstreamBytes}),
   * {@code response} keys on the response when it arrives, before the filters see it.
   */
  void mutate(java.util.Map<String, String> request, java.util.Map<String, String> response);

  /** The response arrived from upstream; ownership passes to the callee. */
  void onUpstreamResponse(Frame response);

  /** Answers the request with the codec's error reply (or drops a one-way request). */
  void localReply(ErrorType error, String message);

  /** A one-way request was handed to an upstream connection: nothing more will come. */
  void forwarded();

  /** A one-way request already forwarded could not be delivered. */
  void onewayLost(String message);

  /** A short description of the request for error messages (service and method, say). */
  String describe();
}

package io.protean.abi.filter;

import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import java.net.InetSocketAddress;

/** One request's view for a filter. Only valid on its event loop, until the request completes. */
public interface FilterContext {

  /** The listener (or codec) name the request arrived on. */
  String listener();

  /**
   * The downstream peer: the address the client connection comes from (the direct peer; no
   * PROXY protocol or forwarded-for header is read), or null when the transport has no IP
   * address (an in-memory channel). Once listeners terminate TLS, the peer certificate's
   * identity will be offered beside it.
   */
  InetSocketAddress downstreamAddress();

  /** The proxy's own address of the downstream connection, or null (an in-memory channel). */
  default InetSocketAddress localAddress() {
    return null;
  }

  /** When the request was read, in nanoseconds since the epoch. */
  default long receivedEpochNanos() {
    return System.currentTimeMillis() * 1_000_000L;
  }

  /** The route the request was forwarded on, or null before it was (or when none matched). */
  default String routeName() {
    return null;
  }

  /** The cluster the request was forwarded to, or null before it was. */
  default String clusterName() {
    return null;
  }

  /** The upstream endpoint ({@code host:port}) that answered, or null before the response. */
  default String upstreamAddress() {
    return null;
  }

  /** The request. Owned by the proxy: a filter never releases or retains it. */
  Frame request();

  /** The response, during {@link Filter#onResponse}; null before. Owned by the proxy. */
  Frame response();

  /**
   * Sets ({@code value != null}) or removes ({@code value == null}) a request metadata key. The key
   * is visible to later filters and the router at once; the codec re-encodes the frame before it
   * goes upstream.
   *
   * @throws IllegalStateException once the request was forwarded (in {@link Filter#onResponse}
   *     and after): its metadata is final then
   */
  void setRequestMetadata(String key, String value);

  /**
   * Sets ({@code value != null}) or removes ({@code value == null}) a response metadata key, during
   * {@link Filter#onResponse}. The key is visible to later filters at once; the downstream codec
   * re-encodes the response before it goes downstream (Dubbo: the response's attachments). A
   * response the codec cannot re-encode (a Dubbo error status, which carries only a message) is
   * forwarded unchanged, logged at debug and counted
   * ({@code protean_listener_response_mutations_refused_total}).
   *
   * @throws IllegalStateException outside {@link Filter#onResponse} (no response yet)
   */
  void setResponseMetadata(String key, String value);

  /**
   * Answers the request with the codec's error reply instead of forwarding it. The filter then
   * returns {@link FilterStatus#STOP}. One-way requests are dropped (and counted) instead.
   */
  void sendLocalReply(ErrorType error, String message);

  /** Continues the chain after this filter returned {@link FilterStatus#STOP}. */
  void resume();

  /** The event loop the request lives on (for timers and asynchronous work). */
  EventExecutor executor();
}

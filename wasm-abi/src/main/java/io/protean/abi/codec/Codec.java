package io.protean.abi.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A protocol codec bound to one connection (it may keep per-connection state, such as a detected
 * transport). Always called from the connection's event loop, never concurrently.
 *
 * <p>Request ids are rewritten by the proxy, not the codec: a frame says where its id sits
 * ({@link Frame#writeRequestId}).
 *
 * <p>The same codec instance decodes both directions of its connection: requests on a downstream
 * (client-facing) connection, responses on an upstream (server-facing) one, and the odd request a
 * server sends (a heartbeat, an event).
 */
public interface Codec {

  /**
   * Decodes at most one frame from {@code in}.
   *
   * <p><b>Ownership.</b> {@code in} stays owned by the caller. If a complete frame is present the
   * codec advances {@code in.readerIndex()} past it and returns a {@link Frame} whose content is a
   * retained slice of exactly those bytes (use {@code in.readRetainedSlice(n)}); the caller owns the
   * frame. If the frame is incomplete the codec returns null and leaves {@code readerIndex} where it
   * was; it never waits for more bytes than its size limit allows.
   *
   * @return a frame, or null when more bytes are needed
   * @throws CodecException on malformed input or a size limit exceeded; the message names the
   *     problem. The caller then closes the connection; a {@link RejectedRequestException}
   *     (a request whose header was read) is answered instead, and the connection carries on.
   */
  Frame decode(ByteBuf in);

  /**
   * Tells the codec that the bytes of the buffer it decodes from may have moved or changed since
   * its last {@link #decode} call. Between two such calls, successive decode calls see the same
   * bytes at the same indexes (more may be appended). A codec that caches a copy of its input
   * (a Wasm codec copying into guest memory) drops the copy here.
   */
  default void inputMoved() {}

  /**
   * The request whose first bytes {@code buffered} holds (not consumed, still owned by the caller),
   * as far as its header tells — type, id, the metadata an error reply needs — so that a request
   * whose rest does not come in time (or does not fit the proxy's buffers) can still be answered
   * with {@link #errorReply}. Its content may be empty. Default: null, the protocol cannot say
   * (the connection is then closed without an answer).
   *
   * @return the request, owned by the caller; null when its header is not all there
   */
  default Frame incompleteRequest(ByteBuf buffered) {
    return null;
  }

  /**
   * Adds to {@code response}'s metadata what {@link #decode} leaves out because finding it costs
   * on every response (Dubbo: the attachments, which follow the value). The proxy calls it at most
   * once per response, when a filter first looks at the response ({@code FilterContext.response()}
   * or a response metadata change), so a chain that never does pays nothing. A response whose
   * metadata cannot be read keeps what it has: no exception. Default: decode found it all.
   */
  default void decodeResponseMetadata(Frame response) {}

  /**
   * Re-encodes {@code frame} with {@code mutation} applied to its metadata.
   *
   * <p><b>Ownership.</b> {@code frame} stays owned by the caller (not released here). The returned
   * buffer is new and owned by the caller.
   *
   * @throws CodecException if this frame type or this mutation cannot be encoded
   */
  ByteBuf encode(Frame frame, Mutation mutation, ByteBufAllocator alloc);

  /**
   * Re-encodes the {@code response} to {@code request} with {@code mutation} applied to its
   * metadata, on the downstream connection's codec. The request tells the codec what the client
   * can read (Dubbo: response attachments need protocol version 2.0.2). The request id in the
   * result is the response's; the proxy rewrites it afterwards ({@link Frame#withRequestId}).
   * Ownership as for {@link #encode}; the default is {@code encode(response, mutation, alloc)}.
   *
   * @throws CodecException if this response or this mutation cannot be encoded (the proxy then
   *     forwards the response unchanged and counts it)
   */
  default ByteBuf encodeResponse(Frame request, Frame response, Mutation mutation,
      ByteBufAllocator alloc) {
    return encode(response, mutation, alloc);
  }

  /**
   * Builds the protocol's error reply to {@code request}, which a client of that protocol shows to
   * its caller as an error carrying {@code message}.
   *
   * <p><b>Ownership.</b> {@code request} stays owned by the caller. The returned buffer is new and
   * owned by the caller.
   *
   * @return the reply, or null when the request must not be answered (a one-way request)
   */
  ByteBuf errorReply(Frame request, ErrorType error, String message, ByteBufAllocator alloc);

  /**
   * Builds the reply to a heartbeat frame (answered by the proxy, never forwarded).
   * Ownership as for {@link #errorReply}.
   */
  ByteBuf heartbeatReply(Frame heartbeat, ByteBufAllocator alloc);

  /**
   * The message that tells a client to send its next requests elsewhere, written when the proxy
   * starts draining the connection (a shutdown, a removed listener); Dubbo's READONLY event, as a
   * Dubbo provider sends on shutdown. Ownership as for {@link #errorReply}.
   *
   * @return the message, or null when the protocol has none (the default)
   */
  default ByteBuf goAway(ByteBufAllocator alloc) {
    return null;
  }

  /**
   * A short description of {@code request} for the proxy's error messages and logs ("no route
   * matches ..."). The default lists its metadata, cut at 200 characters; a codec that knows
   * which keys name the call (a service and method) says it better.
   */
  default String describe(Frame request) {
    String m = request.metadata().toString();
    return m.length() <= 200 ? m : m.substring(0, 200) + "...}";
  }

  /**
   * Classifies a {@link MessageType#RESPONSE} or {@link MessageType#ERROR} frame this codec
   * decoded, for retry policies: a server error may be retried on another endpoint, a business
   * exception must not be. Called only when a retry policy asks (not per frame); must not retain
   * or release {@code response}. Default: what the decoder recorded on the frame
   * ({@link Frame#responseClass()}), {@link ResponseClass#UNKNOWN} (never retried) if nothing.
   */
  default ResponseClass classify(Frame response) {
    return response.responseClass();
  }

  /**
   * Called once when its connection closes, on the connection's event loop, after the last
   * {@link #decode}. The codec forgets the connection (a Wasm codec tells its guest, which
   * otherwise keeps per-connection state for ever). No other method is called after it; a codec
   * still answers one that is (a late error reply), without keeping state for it. Default:
   * nothing to forget.
   */
  default void close() {}
}

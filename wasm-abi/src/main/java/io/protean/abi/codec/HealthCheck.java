package io.protean.abi.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A protocol-level active health check, built by {@link CodecFactory#healthCheck}: the request the
 * proxy sends to an upstream endpoint on a connection of its own, and the test its answer must
 * pass. The proxy decodes the answer with a {@link Codec} of the same factory, matches it to the
 * request by request id, and keeps the verdict, the interval and the thresholds to itself: this
 * is the only protocol knowledge a health check needs. Immutable and thread-safe.
 */
public interface HealthCheck {

  /**
   * The health-check request with request id {@code id} (the proxy picks ids; an answer carries
   * the same id back).
   *
   * <p><b>Ownership.</b> The returned buffer is new and owned by the caller.
   */
  ByteBuf request(long id, ByteBufAllocator alloc);

  /**
   * Whether {@code answer}, the frame that carried the request's id back, says the endpoint is
   * healthy. {@code answer} stays owned by the caller.
   */
  boolean passes(Frame answer);
}

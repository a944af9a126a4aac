package io.protean.proxy.router;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.proxy.loop.Deadlines;
import io.protean.proxy.observability.ClusterStats;
import io.protean.proxy.upstream.CircuitBreakers;
import io.protean.proxy.upstream.UpstreamCallbacks;
import io.protean.proxy.upstream.UpstreamConnection;

/**
 * A copy of a request sent to a mirror cluster, with its own upstream id on the mirror's
 * connection; its response is discarded. It owns a copy of the request's bytes (never a slice of
 * the downstream buffer, which would stay alive as long as a slow mirror holds the copy) and
 * gives it up when the copy is answered, fails, or reaches the route timeout (then its id is
 * abandoned). Nothing here reaches the primary request.
 */
final class MirrorRequest extends Deadlines.Entry implements UpstreamCallbacks {
  private final Frame frame;
  private final ClusterStats stats;
  private final CircuitBreakers breakers;
  private UpstreamConnection upstream;
  private long upstreamId = -1;
  private Deadlines timeout;
  private boolean done;

  /**
   * @param frame the request with a copy of its bytes; ownership passes here
   * @param breakers the mirror cluster's, in whose {@code max_requests} the copy holds a place
   *                 (given back when it ends)
   */
  MirrorRequest(Frame frame, ClusterStats stats, CircuitBreakers breakers) {
    this.frame = frame;
    this.stats = stats;
    this.breakers = breakers;
  }

  void send(UpstreamConnection c, boolean twoWay, Deadlines timeout) {
    upstream = c;
    upstreamId = c.send(this, frame.content().retainedDuplicate(), twoWay);
    if (upstreamId == UpstreamConnection.PENDING_OVERFLOW) {
      upstreamId = -1;
      stats.mirrorDropped.inc();
      end();
      return;
    }
    stats.mirrorRequests.inc();
    if (!twoWay) {
      end();
      return;
    }
    this.timeout = timeout;
    timeout.add(this);
  }

  @Override
  public Frame frame() {
    return frame;
  }

  @Override
  public void onResponse(Frame response) {
    response.release();
    upstreamId = -1;
    end();
  }

  @Override
  public void onUpstreamFailure(ErrorType error, String message) {
    stats.mirrorFailures.inc();
    upstreamId = -1;
    end();
  }

  /** The route timeout: the mirror's answer is no longer awaited. */
  @Override
  protected void expired() {
    timeout = null;
    if (upstreamId >= 0) {
      stats.mirrorFailures.inc();
      upstream.abandon(upstreamId);
      upstreamId = -1;
    }
    end();
  }

  private void end() {
    if (done) {
      return;
    }
    done = true;
    breakers.requestDone();
    if (timeout != null) {
      timeout.remove(this);
      timeout = null;
    }
    frame.release();
  }

  /** A copy of {@code bytes} (released here) in a buffer of its own. */
  static ByteBuf copyOf(ByteBuf bytes) {
    try {
      return bytes.alloc().buffer(bytes.readableBytes()).writeBytes(bytes, bytes.readerIndex(),
          bytes.readableBytes());
    } finally {
      bytes.release();
    }
  }
}

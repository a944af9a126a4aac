package io.protean.proxy.listener;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.Frame;
import io.protean.proxy.cluster.LoopClusters;
import io.protean.proxy.codec.FrameDecoder;
import io.protean.proxy.loop.FlushTarget;
import io.protean.proxy.loop.Worker;
import io.protean.proxy.router.Router;
import io.protean.proxy.stream.ActiveRequest;
import io.protean.proxy.stream.ActiveRequests;
import io.protean.proxy.stream.Downstream;
import io.protean.proxy.stream.StreamConfig;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: turns decoded frames into {@link ActiveRequest}s of the listener's
 * current configuration, answers heartbeats, and on close abandons the requests still in flight.
 * A reload that replaces the listener's codec moves the connection to the new one between two
 * frames (same protocol only: a client keeps speaking what it spoke). A frame that cannot be
 * decoded closes this connection only.
 */
final class DownstreamConnection extends FlushTarget implements Downstream, FrameDecoder.CodecSwitch {
  private static final Logger log = LoggerFactory.getLogger(DownstreamConnection.class);

  private final Listener listener;
  private final Worker worker;
  private final Router router;
  private final Channel channel;
  private final ActiveRequests requests;
  private CodecFactory codecFactory;
  /** The configuration of the frame being decoded (see {@link #next}). */
  private StreamConfig stream;
  private Codec codec;
  private boolean draining;
  /** Frames received, so a drain can tell a quiet connection (a count: no clock per frame). */
  private long frames;
  /** How long a draining connection must be quiet before it is closed. */
  static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  DownstreamConnection(Listener listener, LoopClusters clusters, Channel channel,
      ListenerSnapshot snapshot) {
    this.listener = listener;
    this.worker = clusters.worker();
    this.router = new Router(clusters);
    this.channel = channel;
    this.codecFactory = snapshot.codec();
    this.codec = codecFactory.newCodec();
    this.requests = new ActiveRequests(channel, codecFactory.orderedResponses());
  }

  void install() {
    channel.pipeline().addLast(new FrameDecoder(codec, this), new Handler());
  }

  /**
   * The listener's snapshot is read here, once before each frame is decoded (one volatile read per
   * frame): the codec for the frame and the configuration its request goes through come from it.
   */
  @Override
  public Codec next(Codec current) {
    ListenerSnapshot snapshot = listener.current();
    stream = snapshot.stream();
    CodecFactory latest = snapshot.codec();
    if (latest != codecFactory && latest.protocol().equals(codecFactory.protocol())
        && latest.orderedResponses() == codecFactory.orderedResponses()) {
      codecFactory = latest;
      codec = latest.newCodec();
    }
    return codec;
  }

  @Override
  public Channel channel() {
    return channel;
  }

  @Override
  public Codec codec() {
    return codec;
  }

  @Override
  public Router router() {
    return router;
  }

  @Override
  public ActiveRequests requests() {
    return requests;
  }

  @Override
  public void flush() {
    worker.flush(this);
  }

  /** Closes once the answers written so far are flushed (a plain close would drop them). */
  private void closeAfterWrites() {
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * Closes once it has been quiet — no request active and no frame arrived — for
   * {@link #QUIET_NANOS}, or after {@code timeoutNanos} whatever is in flight. Closing the moment
   * it is idle would race with a request the client is sending right then: RPC protocols have no
   * way to tell a client to stop, so the client would see a reset. Any thread.
   */
  void drain(long timeoutNanos) {
    channel.eventLoop().execute(() -> {
      if (draining) {
        return;
      }
      draining = true;
      quietCheck(Math.min(QUIET_NANOS, timeoutNanos));
      channel.eventLoop().schedule(() -> {
        if (channel.isActive()) {
          log.info("listener {}: drain timeout, closing a connection from {} with {} requests "
              + "in flight", listener.name(), channel.remoteAddress(), requests.size());
          closeAfterWrites();
        }
      }, timeoutNanos, TimeUnit.NANOSECONDS);
    });
  }

  private void quietCheck(long afterNanos) {
    long seen = frames;
    channel.eventLoop().schedule(() -> {
      if (!channel.isActive()) {
        return;
      }
      if (requests.size() == 0 && frames == seen) {
        closeAfterWrites();
      } else {
        quietCheck(QUIET_NANOS);
      }
    }, afterNanos, TimeUnit.NANOSECONDS);
  }

  private final class Handler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      listener.stats().downstreamConnections.inc();
      listener.stats().downstreamConnectionsAccepted.inc();
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Frame frame = (Frame) msg;
      frames++;
      switch (frame.type()) {
        case REQUEST, ONEWAY -> new ActiveRequest(DownstreamConnection.this, stream, frame).start();
        case HEARTBEAT -> {
          listener.stats().heartbeats.inc();
          ctx.write(codec.heartbeatReply(frame, ctx.alloc()), ctx.voidPromise());
          flush();
          frame.release();
        }
        default -> {
          listener.stats().unexpectedFrames.inc();
          log.debug("listener {}: client {} sent an unexpected {}; dropped", listener.name(),
              ctx.channel().remoteAddress(), frame.type());
          frame.release();
        }
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      worker.readBatchEnded();
      ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      listener.stats().downstreamConnections.dec();
      requests.abandonAll();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof DecoderException) {
        listener.stats().decodeErrors.inc();
        Throwable reason = cause.getCause() != null ? cause.getCause() : cause;
        log.warn("listener {}: closing connection from {}: {}", listener.name(),
            ctx.channel().remoteAddress(), reason.getMessage());
      } else if (cause instanceof IOException) {
        log.debug("listener {}: connection from {}: {}", listener.name(),
            ctx.channel().remoteAddress(), cause.toString());
      } else {
        log.warn("listener {}: closing connection from {} after an internal error",
            listener.name(), ctx.channel().remoteAddress(), cause);
      }
      ctx.close();
    }
  }
}

package io.protean.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.proxy.cluster.LoopClusters;
import io.protean.proxy.codec.FrameDecoder;
import io.protean.proxy.codec.RejectedRequest;
import io.protean.proxy.config.model.ProxyConfig.DownstreamLimits;
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
 * decoded closes this connection only; a request the codec rejects (oversize or malformed body,
 * readable header) gets the codec's error and the connection carries on.
 *
 * <p>Backpressure: reading stops while the client does not read its answers (the channel's write
 * buffer is over its high-water mark) or has {@code max_pending_requests_per_connection} requests
 * in flight, and resumes when both clear; so a client that pipelines and never reads holds at
 * most that many requests and one write buffer of answers.
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
  private final DownstreamLimits limits;
  private final long drainTimeoutNanos;
  private boolean draining;
  /** Set when a drain's timeout passed: nothing more is read. */
  private boolean drainEnded;
  /** Whether the channel reads (see {@link #updateReading}). */
  private boolean reading = true;
  /** Reads handled, so a drain or an idle check can tell a quiet connection (no clock per read). */
  private long reads;
  /** Requests (and rejected requests) received. */
  private long received;
  /** Messages decoded (or rejected), so a read timeout can tell a request that made no progress. */
  private long messages;
  private FrameDecoder decoder;
  /** Bytes of an incomplete request this connection counts in the proxy's {@link BufferedRequestBytes}. */
  private int heldBytes;
  private boolean readTimerArmed;
  /** Set when an incomplete request was refused: nothing more is read, and it closes when answered. */
  private boolean refused;
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
    this.limits = snapshot.config().limits();
    this.drainTimeoutNanos = snapshot.config().drainTimeout().toNanos();
  }

  void install() {
    decoder = new FrameDecoder(codec, this);
    channel.pipeline().addLast(decoder, new Handler());
    if (limits.idleTimeout() != null) {
      idleCheck(limits.idleTimeout().toNanos());
    }
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

  @Override
  public void requestEnded() {
    if (!reading) {
      updateReading();
    }
    if (refused && requests.size() == 0) {
      closeAfterWrites();
    }
  }

  /**
   * A read ended inside a request: what it holds counts against the proxy's
   * {@code max_buffered_request_bytes}, and its clock, {@code request_read_timeout}, runs.
   */
  private void partialRequest() {
    if (refused) {
      return;
    }
    int held = decoder.buffered();
    if (held != heldBytes) {
      boolean over = listener.buffered().add(held - heldBytes);
      heldBytes = held;
      if (over && held > 0) {
        listener.stats().bufferOverflows.inc();
        refuse(ErrorType.OVERLOADED, "the proxy holds max_buffered_request_bytes of incomplete"
            + " requests; this one (" + held + " bytes so far) is refused");
        return;
      }
    }
    if (!readTimerArmed && limits.requestReadTimeout() != null) {
      armReadTimer();
    }
  }

  /**
   * Checks at {@code request_read_timeout} whether the connection is still inside the request it
   * was in: no message was completed since (then it is, and has taken at least the timeout) —
   * else the check starts again for the request now incomplete, which so gets between one and two
   * timeouts. One timer per connection with an incomplete request, no clock read per read.
   */
  private void armReadTimer() {
    readTimerArmed = true;
    long seen = messages;
    channel.eventLoop().schedule(() -> {
      readTimerArmed = false;
      if (!channel.isActive() || refused || !decoder.partial()) {
        return;
      }
      if (messages != seen) {
        armReadTimer();
        return;
      }
      listener.stats().requestReadTimeouts.inc();
      refuse(ErrorType.TIMEOUT, "the request was not complete within request_read_timeout ("
          + limits.requestReadTimeout() + ")");
    }, limits.requestReadTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Refuses the incomplete request: the codec's {@code error} when its header came, nothing more
   * read, and the connection closed once its other requests are answered.
   */
  private void refuse(ErrorType error, String reason) {
    refused = true;
    updateReading();
    // It reads no more: what it holds is as good as released, and must not refuse others.
    listener.buffered().add(-heldBytes);
    heldBytes = 0;
    log.info("listener {}: closing the connection from {}: {}", listener.name(),
        channel.remoteAddress(), reason);
    Frame incomplete = decoder.incompleteRequest();
    if (incomplete != null) {
      ActiveRequest.reject(this, stream, incomplete, error, reason); // closes once answered
    } else if (requests.size() == 0) {
      closeAfterWrites();
    }
  }

  /**
   * Reads while the client reads its answers and has fewer than its limit of requests in flight;
   * a draining connection whose drain timed out never reads again.
   */
  private void updateReading() {
    boolean read = channel.isWritable()
        && requests.size() < limits.maxPendingRequestsPerConnection() && !drainEnded && !refused;
    if (read != reading) {
      reading = read;
      channel.config().setAutoRead(read);
      if (!read) {
        listener.stats().readPauses.inc();
      }
    }
  }

  /** Closes once the answers written so far are flushed (a plain close would drop them). */
  private void closeAfterWrites() {
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * Tells the client to go elsewhere where the protocol can ({@link Codec#goAway}: Dubbo's
   * READONLY event), keeps serving what it still sends, and closes once it has been quiet — no
   * request active and nothing arrived — for {@link #QUIET_NANOS}. Closing the moment it is idle
   * would race with a request the client is sending right then (the client would see a reset). At
   * {@code timeoutNanos} it stops reading, answers every request still in flight with the
   * codec's error and closes once those answers are written: no request it read goes
   * unanswered. Any thread.
   */
  void drain(long timeoutNanos) {
    channel.eventLoop().execute(() -> startDrain(timeoutNanos));
  }

  private void startDrain(long timeoutNanos) {
    if (draining || !channel.isActive()) {
      return;
    }
    draining = true;
    ByteBuf goAway = codec.goAway(channel.alloc());
    if (goAway != null) {
      channel.write(goAway, channel.voidPromise());
      flush();
    }
    quietCheck(Math.min(QUIET_NANOS, timeoutNanos));
    channel.eventLoop().schedule(() -> {
      if (!channel.isActive()) {
        return;
      }
      drainEnded = true;
      updateReading();
      if (requests.size() > 0) {
        log.info("listener {}: drain timeout, answering the {} requests in flight of {} with an"
            + " error", listener.name(), requests.size(), channel.remoteAddress());
        requests.failAll(ErrorType.TIMEOUT, "the connection drains (the proxy stops or the"
            + " listener was removed) and its drain_timeout passed before the answer came");
      }
      closeAfterWrites();
    }, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void quietCheck(long afterNanos) {
    long seen = reads;
    channel.eventLoop().schedule(() -> {
      if (!channel.isActive() || drainEnded) {
        return;
      }
      if (requests.size() == 0 && reads == seen) {
        closeAfterWrites();
      } else {
        quietCheck(QUIET_NANOS);
      }
    }, afterNanos, TimeUnit.NANOSECONDS);
  }

  /** Closes the connection once it has had no request active and no read for {@code idle_timeout}. */
  private void idleCheck(long idleNanos) {
    long seen = reads;
    channel.eventLoop().schedule(() -> {
      if (!channel.isActive()) {
        return;
      }
      if (requests.size() == 0 && reads == seen) {
        listener.stats().downstreamIdleTimeouts.inc();
        log.debug("listener {}: closing {}, idle for {}", listener.name(),
            channel.remoteAddress(), limits.idleTimeout());
        closeAfterWrites();
      } else {
        idleCheck(idleNanos);
      }
    }, idleNanos, TimeUnit.NANOSECONDS);
  }

  /** One more request arrived: {@code max_requests_per_connection} drains after the last one. */
  private void received() {
    if (++received == limits.maxRequestsPerConnection()) {
      startDrain(drainTimeoutNanos);
    }
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
      if (msg instanceof RejectedRequest r) {
        log.debug("listener {}: answering a request of {} with an error: {}", listener.name(),
            ctx.channel().remoteAddress(), r.reason());
        listener.stats().rejectedRequests.inc();
        ActiveRequest.reject(DownstreamConnection.this, stream, r.request(),
            ErrorType.CODEC_FAILURE, r.reason());
        messages++;
        received();
        return;
      }
      Frame frame = (Frame) msg;
      messages++;
      switch (frame.type()) {
        case REQUEST, ONEWAY -> {
          new ActiveRequest(DownstreamConnection.this, stream, frame).start();
          if (requests.size() >= limits.maxPendingRequestsPerConnection()) {
            updateReading();
          }
          received();
        }
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
      reads++;
      worker.readBatchEnded();
      if (decoder.partial()) {
        partialRequest();
      } else if (heldBytes != 0) {
        listener.buffered().add(-heldBytes);
        heldBytes = 0;
      }
      ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      updateReading();
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      listener.stats().downstreamConnections.dec();
      if (heldBytes != 0) {
        listener.buffered().add(-heldBytes);
        heldBytes = 0;
      }
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

package io.protean.proxy.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.ResponseClass;
import io.protean.proxy.codec.FrameDecoder;
import io.protean.proxy.loop.FlushTarget;
import io.protean.proxy.observability.ClusterStats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multiplexed connection to an upstream endpoint. Requests from many downstream connections
 * share it: each gets a fresh upstream request id (patched into its bytes in place), and responses
 * are matched back by that id. Lives on one event loop. Protocol-neutral: the codec decodes, and
 * the frame types of the codec contract say what a frame means.
 *
 * <p>States: connecting (requests queue), connected, draining (a reload removed the endpoint, or
 * the server announced it is going away with an {@code EVENT} frame: no new requests, closes when
 * idle), closed. When it closes, every request still in flight fails with
 * {@link ErrorType#UPSTREAM_RESET}; a failed connect fails the queue with
 * {@link ErrorType#UPSTREAM_CONNECT_FAILURE}.
 */
public final class UpstreamConnection extends FlushTarget {
  private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);
  /**
   * The write buffer of an upstream connection: past the high mark (the endpoint does not read
   * its requests) new requests fail fast ({@link #backedUp}) instead of queuing without bound.
   * Far above what one I/O round of requests from many clients takes (flushes are batched per
   * round), so a reading endpoint is never refused for it.
   */
  public static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(1 << 20, 4 << 20);
  /** Ids stay positive 31-bit numbers so every protocol (Thrift's seq id is an i32) can carry them. */
  private static final long MAX_ID = Integer.MAX_VALUE;
  /**
   * What {@link #send} returns when the connection is still opening and the cluster's
   * {@code max_pending_requests} are queued already: the request was not taken.
   */
  public static final long PENDING_OVERFLOW = -2;

  private final EndpointPool pool;
  private final UpstreamSettings settings;
  private final LongObjectMap<UpstreamCallbacks> inflight = new LongObjectHashMap<>();
  /** Requests sent before the connection is up, with their ids (-1 for one-way). */
  private final ArrayDeque<Queued> queued = new ArrayDeque<>();
  private Codec codec;
  private Channel channel;
  private boolean connected;
  private boolean draining;
  private boolean closed;
  private String closeReason;
  private long nextId = 1;
  /** The id of the keepalive heartbeat awaiting its answer, 0 when none is. */
  private long keepaliveId;
  /**
   * Bumped by each request sent and each frame read; the keepalive timer compares it with what
   * it saw an interval ago (cheaper on the request path than an idle-state handler's clock reads
   * and per-write listeners).
   */
  private int activity;
  private int activitySeen;
  private ScheduledFuture<?> keepaliveTimer;
  /** Whether the connection's place in {@code max_connections} was given back. */
  private boolean released;

  UpstreamConnection(EndpointPool pool) {
    this.pool = pool;
    this.settings = pool.settings();
  }

  /** The endpoint's address as configured. */
  public String address() {
    return pool.endpoint().address().toString();
  }

  /** The endpoint this connection goes to. */
  public Endpoint endpoint() {
    return pool.endpoint();
  }

  private ClusterStats stats() {
    return settings.stats();
  }

  @Override
  protected Channel channel() {
    return channel;
  }

  /** Whether new requests may use this connection. */
  boolean usable() {
    return !closed && !draining;
  }

  void connect() {
    codec = settings.codec().newCodec();
    ChannelFuture f = settings.bootstrap().clone().handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new FrameDecoder(codec), new Handler());
      }
    }).connect(pool.endpoint().address().toUnresolvedAddress());
    channel = f.channel();
    f.addListener((ChannelFuture done) -> {
      if (done.isSuccess()) {
        connected();
      } else {
        connectFailed(done.cause());
      }
    });
  }

  /**
   * Sends {@code bytes} (a frame of this connection's protocol; ownership passes here) on behalf
   * of {@code request}, whose response or failure comes back through its callbacks — never from
   * inside this call. A one-way request ({@code expectsResponse == false}) is written and
   * forgotten.
   *
   * @return the upstream request id, -1 for a one-way request (not tracked), or
   *     {@link #PENDING_OVERFLOW} when the request was refused (then {@code bytes} were released
   *     and the refusal counted)
   */
  public long send(UpstreamCallbacks request, ByteBuf bytes, boolean expectsResponse) {
    if (!connected && !settings.breakers().tryPending()) {
      settings.breakers().overflowed(CircuitBreakers.Resource.PENDING_REQUESTS);
      bytes.release();
      return PENDING_OVERFLOW;
    }
    stats().requests.inc();
    pool.endpoint().requests.increment();
    activity++;
    long id = -1;
    if (expectsResponse) {
      id = nextId;
      nextId = nextId == MAX_ID ? 1 : nextId + 1;
      inflight.put(id, request);
      pool.requestStarted();
    }
    if (connected) {
      write(request, bytes, id);
      pool.worker().flush(this);
    } else {
      queued.add(new Queued(request, bytes, id));
      if (closed) {
        // The connect failed at once (a refused loopback port fails inside connect()): fail the
        // request from the loop, as a later failure would, not from inside this call.
        pool.worker().loop().execute(() -> failAll(ErrorType.UPSTREAM_CONNECT_FAILURE, closeReason));
      }
    }
    return id;
  }

  /** What a response this connection decoded says about its call (the codec's classification). */
  public ResponseClass classify(Frame response) {
    return codec.classify(response);
  }

  /**
   * Whether the endpoint is not reading: the connection's write buffer passed its high-water
   * mark and has not drained to the low one.
   */
  public boolean backedUp() {
    return connected && !channel.isWritable();
  }

  /**
   * False when the connection's write buffer is above its high-water mark (the peer does not
   * read): a request that may be dropped (a mirror copy) is then better not queued.
   */
  public boolean writable() {
    return usable() && (!connected || channel.isWritable());
  }

  /**
   * Forgets a request that no longer wants its response (timed out, or its client went away). A
   * response arriving later is dropped and counted as stale.
   */
  public void abandon(long id) {
    UpstreamCallbacks r = inflight.remove(id);
    if (r != null) {
      pool.requestEnded();
      if (!connected && queued.removeIf(q -> q.id == id && q.bytes.release())) {
        settings.breakers().pendingDone(1);
      }
      closeIfDrained();
    }
  }

  private void write(UpstreamCallbacks request, ByteBuf bytes, long id) {
    channel.write(id >= 0 ? request.frame().withRequestId(bytes, id) : bytes, channel.voidPromise());
  }

  private void connected() {
    connected = true;
    pool.endpoint().connectSucceeded();
    pool.endpoint().connections.increment();
    stats().connects.inc();
    stats().upstreamConnections.inc();
    if (settings.keepalive() != null) {
      scheduleKeepalive();
    }
    if (!queued.isEmpty()) {
      settings.breakers().pendingDone(queued.size());
      for (Queued q; (q = queued.poll()) != null; ) {
        write(q.request, q.bytes, q.id);
      }
      channel.flush();
    }
    closeIfDrained();
  }

  private record Queued(UpstreamCallbacks request, ByteBuf bytes, long id) {}

  private void connectFailed(Throwable cause) {
    closed = true;
    releaseConnection();
    pool.endpoint().connectFailed();
    pool.endpoint().errors.increment();
    stats().connectFailures.inc();
    closeReason = "cannot connect to upstream " + address() + " of cluster " + settings.cluster()
        + ": " + describe(cause);
    log.warn(closeReason);
    pool.closed(this);
    failAll(ErrorType.UPSTREAM_CONNECT_FAILURE, closeReason);
  }

  private void failAll(ErrorType error, String message) {
    // Two-way requests are all in the in-flight map (queued or not); one-way ones only in the queue.
    List<UpstreamCallbacks> failed = new ArrayList<>(inflight.values());
    settings.breakers().pendingDone(queued.size());
    for (Queued q : queued) {
      q.bytes.release();
      if (q.id < 0) {
        failed.add(q.request);
      }
    }
    queued.clear();
    for (int i = 0; i < inflight.size(); i++) {
      pool.requestEnded();
    }
    inflight.clear();
    if (error == ErrorType.UPSTREAM_RESET) {
      stats().upstreamResets.add(failed.size());
      pool.endpoint().errors.add(failed.size());
    }
    for (UpstreamCallbacks r : failed) {
      r.onUpstreamFailure(error, message);
    }
  }

  /** No new requests; closes once the ones in flight are answered (or at once when idle). */
  void drain() {
    draining = true;
    closeIfDrained();
  }

  private void closeIfDrained() {
    if (draining && connected && inflight.isEmpty() && queued.isEmpty()) {
      channel.close();
    }
  }

  void close() {
    if (channel != null) {
      channel.close();
    }
  }

  /** Gives back the connection's place in {@code max_connections}, once. */
  private void releaseConnection() {
    if (!released) {
      released = true;
      settings.breakers().connectionDone();
    }
  }

  private void scheduleKeepalive() {
    keepaliveTimer = pool.worker().loop().schedule(this::keepaliveTick,
        settings.keepaliveNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Each keepalive interval: a connection that sent and read nothing since the last one sends
   * the protocol's heartbeat, so an endpoint that closes idle connections keeps it; one whose
   * previous heartbeat is still unanswered a whole interval later is closed (the endpoint is
   * gone or frozen).
   */
  private void keepaliveTick() {
    if (closed) {
      return;
    }
    if (activity == activitySeen) {
      if (keepaliveId != 0) {
        log.info("upstream {} of cluster {} did not answer the keepalive heartbeat within {} ms;"
            + " closing", address(), settings.cluster(),
            TimeUnit.NANOSECONDS.toMillis(settings.keepaliveNanos()));
        channel.close();
        return;
      }
      long id = nextId;
      ByteBuf heartbeat;
      try {
        heartbeat = settings.keepalive().request(id, channel.alloc());
      } catch (RuntimeException e) { // a Wasm module that failed to build it: try next time
        log.warn("cluster {}: cannot build the keepalive heartbeat: {}", settings.cluster(),
            e.getMessage());
        scheduleKeepalive();
        return;
      }
      keepaliveId = id;
      nextId = nextId == MAX_ID ? 1 : nextId + 1;
      stats().keepalives.inc();
      channel.writeAndFlush(heartbeat, channel.voidPromise());
    } else {
      keepaliveId = 0; // the endpoint answers other frames: an unanswered heartbeat is forgiven
    }
    activitySeen = activity;
    scheduleKeepalive();
  }

  private static String describe(Throwable t) {
    Throwable c = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }

  /** The pipeline's last handler: responses in, closure handling. */
  private final class Handler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Frame frame = (Frame) msg;
      activity++;
      switch (frame.type()) {
        case RESPONSE, ERROR -> response(frame);
        case HEARTBEAT -> {
          // The server probes us: answer like a client would.
          ctx.write(codec.heartbeatReply(frame, ctx.alloc()), ctx.voidPromise());
          pool.worker().flush(UpstreamConnection.this);
          frame.release();
        }
        case EVENT -> {
          // The codec contract: an event from a server announces that it is going away.
          log.info("upstream {} of cluster {} announced shutdown ({}); draining the connection",
              address(), settings.cluster(), frame.metadata());
          frame.release();
          drain();
        }
        default -> {
          log.debug("upstream {} sent an unexpected {}; dropped", address(), frame.type());
          frame.release();
        }
      }
    }

    private void response(Frame frame) {
      if (keepaliveId != 0 && frame.requestId() == keepaliveId) {
        keepaliveId = 0; // the heartbeat's answer: nothing waits for it
        frame.release();
        return;
      }
      UpstreamCallbacks r = inflight.remove(frame.requestId());
      if (r == null) {
        stats().staleResponses.inc();
        frame.release();
        return;
      }
      pool.requestEnded();
      r.onResponse(frame);
      closeIfDrained();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closed = true;
      releaseConnection();
      if (keepaliveTimer != null) {
        keepaliveTimer.cancel(false);
      }
      pool.closed(UpstreamConnection.this);
      if (connected) {
        stats().upstreamConnections.dec();
        pool.endpoint().connections.decrement();
      }
      if (!inflight.isEmpty() || !queued.isEmpty()) {
        String message = "upstream " + address() + " of cluster " + settings.cluster()
            + " closed the connection with the request in flight"
            + (closeReason == null ? "" : ": " + closeReason);
        log.warn("{} ({} requests)", message, inflight.size());
        failAll(ErrorType.UPSTREAM_RESET, message);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      closeReason = describe(cause);
      if (cause instanceof DecoderException) {
        log.warn("upstream {} of cluster {} sent bytes that cannot be decoded, closing: {}",
            address(), settings.cluster(), closeReason);
      } else {
        log.warn("upstream {} of cluster {}: {}", address(), settings.cluster(), closeReason);
      }
      ctx.close();
    }
  }
}

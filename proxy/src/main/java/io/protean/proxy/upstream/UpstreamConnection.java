package io.protean.proxy.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.DecoderException;
import io.netty.util.collection.LongObjectHashMap;
import io.netty.util.collection.LongObjectMap;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.proxy.codec.FrameDecoder;
import io.protean.proxy.loop.FlushTarget;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One multiplexed connection to an upstream endpoint. Requests from many downstream connections
 * share it: each gets a fresh upstream request id (patched into its bytes in place), and responses
 * are matched back by that id. Lives on one event loop.
 *
 * <p>States: connecting (requests queue), connected, draining (the server announced shutdown: no
 * new requests, closes when idle), closed. When it closes, every request still in flight fails
 * with {@link ErrorType#UPSTREAM_RESET}; a failed connect fails the queue with
 * {@link ErrorType#UPSTREAM_CONNECT_FAILURE}.
 */
public final class UpstreamConnection extends FlushTarget {
  private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);
  /** Ids stay positive 31-bit numbers so every protocol (Thrift's seq id is an i32) can carry them. */
  private static final long MAX_ID = Integer.MAX_VALUE;

  private final UpstreamPool pool;
  private final UpstreamPool.Endpoint endpoint;
  private final LongObjectMap<UpstreamRequest> inflight = new LongObjectHashMap<>();
  /** Requests sent before the connection is up, with their ids (-1 for one-way). */
  private final ArrayDeque<Queued> queued = new ArrayDeque<>();
  private Codec codec;
  private Channel channel;
  private boolean connected;
  private boolean draining;
  private boolean closed;
  private String closeReason;
  private long nextId = 1;

  UpstreamConnection(UpstreamPool pool, UpstreamPool.Endpoint endpoint) {
    this.pool = pool;
    this.endpoint = endpoint;
  }

  UpstreamPool.Endpoint endpoint() {
    return endpoint;
  }

  /** The endpoint's address as configured. */
  public String address() {
    return endpoint.address.toString();
  }

  @Override
  protected Channel channel() {
    return channel;
  }

  /** Whether new requests may use this connection. */
  boolean usable() {
    return !closed && !draining;
  }

  void connect(Bootstrap bootstrap, SocketAddress address) {
    codec = pool.cluster().codec().newCodec();
    ChannelFuture f = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new FrameDecoder(codec), new Handler());
      }
    }).connect(address);
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
   * of {@code request}, whose response or failure comes back through its callbacks. A one-way
   * request ({@code expectsResponse == false}) is written and forgotten.
   *
   * @return the upstream request id, or -1 for a one-way request (not tracked)
   */
  public long send(UpstreamRequest request, ByteBuf bytes, boolean expectsResponse) {
    pool.cluster().stats().requests.inc();
    long id = -1;
    if (expectsResponse) {
      id = nextId;
      nextId = nextId == MAX_ID ? 1 : nextId + 1;
      inflight.put(id, request);
      pool.requestStarted(this);
    }
    if (connected) {
      write(request, bytes, id);
      pool.worker().flush(this);
    } else {
      queued.add(new Queued(request, bytes, id));
    }
    return id;
  }

  /**
   * Forgets a request that no longer wants its response (timed out, or its client went away). A
   * response arriving later is dropped and counted as stale.
   */
  public void abandon(long id) {
    UpstreamRequest r = inflight.remove(id);
    if (r != null) {
      pool.requestEnded(this);
      if (!connected) {
        queued.removeIf(q -> q.id == id && q.bytes.release());
      }
      closeIfDrained();
    }
  }

  private void write(UpstreamRequest request, ByteBuf bytes, long id) {
    channel.write(id >= 0 ? request.frame().withRequestId(bytes, id) : bytes, channel.voidPromise());
  }

  private void connected() {
    connected = true;
    pool.connectSucceeded(endpoint);
    pool.cluster().stats().connects.inc();
    pool.cluster().stats().upstreamConnections.inc();
    if (queued.isEmpty()) {
      return;
    }
    for (Queued q; (q = queued.poll()) != null; ) {
      write(q.request, q.bytes, q.id);
    }
    channel.flush();
  }

  private record Queued(UpstreamRequest request, ByteBuf bytes, long id) {}

  private void connectFailed(Throwable cause) {
    closed = true;
    pool.connectFailed(endpoint);
    pool.cluster().stats().connectFailures.inc();
    String message = "cannot connect to upstream " + address() + " of cluster "
        + pool.cluster().name() + ": " + describe(cause);
    log.warn(message);
    failAll(ErrorType.UPSTREAM_CONNECT_FAILURE, message);
  }

  private void failAll(ErrorType error, String message) {
    // Two-way requests are all in the in-flight map (queued or not); one-way ones only in the queue.
    List<UpstreamRequest> failed = new ArrayList<>(inflight.values());
    for (Queued q : queued) {
      q.bytes.release();
      if (q.id < 0) {
        failed.add(q.request);
      }
    }
    queued.clear();
    for (int i = 0; i < inflight.size(); i++) {
      pool.requestEnded(this);
    }
    inflight.clear();
    if (error == ErrorType.UPSTREAM_RESET) {
      pool.cluster().stats().upstreamResets.add(failed.size());
    }
    for (UpstreamRequest r : failed) {
      r.onUpstreamFailure(error, message);
    }
  }

  private void closeIfDrained() {
    if (draining && inflight.isEmpty() && channel != null) {
      channel.close();
    }
  }

  void close() {
    if (channel != null) {
      channel.close();
    }
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
      switch (frame.type()) {
        case RESPONSE, ERROR -> response(frame);
        case HEARTBEAT -> {
          // The server probes us: answer like a client would.
          ctx.write(codec.heartbeatReply(frame, ctx.alloc()), ctx.voidPromise());
          pool.worker().flush(UpstreamConnection.this);
          frame.release();
        }
        case EVENT -> {
          // Dubbo's read-only event: the provider is shutting down; stop sending it new requests.
          log.info("upstream {} of cluster {} announced shutdown ({}); draining the connection",
              address(), pool.cluster().name(), frame.metadata());
          draining = true;
          frame.release();
          closeIfDrained();
        }
        default -> {
          log.debug("upstream {} sent an unexpected {}; dropped", address(), frame.type());
          frame.release();
        }
      }
    }

    private void response(Frame frame) {
      UpstreamRequest r = inflight.remove(frame.requestId());
      if (r == null) {
        pool.cluster().stats().staleResponses.inc();
        frame.release();
        return;
      }
      pool.requestEnded(UpstreamConnection.this);
      r.onResponse(frame);
      closeIfDrained();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closed = true;
      if (connected) {
        pool.cluster().stats().upstreamConnections.dec();
      }
      if (!inflight.isEmpty() || !queued.isEmpty()) {
        String message = "upstream " + address() + " of cluster " + pool.cluster().name()
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
            address(), pool.cluster().name(), closeReason);
      } else {
        log.warn("upstream {} of cluster {}: {}", address(), pool.cluster().name(), closeReason);
      }
      ctx.close();
    }
  }
}

package io.protean.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.Frame;
import io.protean.proxy.loop.FlushTarget;
import io.protean.proxy.loop.Worker;
import java.io.IOException;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: turns decoded frames into {@link ActiveRequest}s, answers heartbeats,
 * and on close abandons the requests still in flight. A frame that cannot be decoded closes this
 * connection only.
 */
final class DownstreamConnection extends FlushTarget {
  private static final Logger log = LoggerFactory.getLogger(DownstreamConnection.class);

  final Listener listener;
  final Worker worker;
  private final Channel channel;
  private final Codec codec;
  /** Head of the intrusive list of this connection's active requests. */
  private ActiveRequest head;
  /** Two-way requests in arrival order, when the protocol wants answers in that order; else null. */
  private final ArrayDeque<ActiveRequest> order;

  DownstreamConnection(Listener listener, Worker worker, Channel channel, Codec codec) {
    this.listener = listener;
    this.worker = worker;
    this.channel = channel;
    this.codec = codec;
    this.order = listener.codec().orderedResponses() ? new ArrayDeque<>() : null;
  }

  /** Registers a two-way request whose answer must keep its place (ordered protocols only). */
  void expectReply(ActiveRequest r) {
    if (order != null) {
      order.add(r);
    }
  }

  /**
   * Sends {@code bytes} (ownership passes here) as {@code r}'s answer: now, or — for ordered
   * protocols — once every earlier request of this connection has been answered.
   */
  void reply(ActiveRequest r, ByteBuf bytes) {
    if (!channel.isActive()) {
      bytes.release();
      return;
    }
    if (order == null) {
      channel.write(bytes, channel.voidPromise());
    } else {
      r.readyReply = bytes;
      writeReadyReplies();
    }
    worker.flush(this);
  }

  /** A request ended: if it left no answer, the ones after it need not wait for it. */
  void ended(ActiveRequest r) {
    if (order != null && r.readyReply == null && order.remove(r)) {
      writeReadyReplies();
      worker.flush(this);
    }
  }

  private void writeReadyReplies() {
    for (ActiveRequest first; (first = order.peek()) != null && first.readyReply != null; ) {
      order.poll();
      channel.write(first.readyReply, channel.voidPromise());
      first.readyReply = null;
    }
  }

  @Override
  protected Channel channel() {
    return channel;
  }

  Codec codec() {
    return codec;
  }

  boolean isActive() {
    return channel.isActive();
  }

  void add(ActiveRequest r) {
    r.next = head;
    if (head != null) {
      head.prev = r;
    }
    head = r;
  }

  void remove(ActiveRequest r) {
    if (r.prev != null) {
      r.prev.next = r.next;
    } else if (head == r) {
      head = r.next;
    }
    if (r.next != null) {
      r.next.prev = r.prev;
    }
    r.prev = null;
    r.next = null;
  }

  ChannelInboundHandlerAdapter handler() {
    return new Handler();
  }

  private final class Handler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      listener.stats().downstreamConnections.inc();
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Frame frame = (Frame) msg;
      switch (frame.type()) {
        case REQUEST, ONEWAY -> new ActiveRequest(DownstreamConnection.this, frame).start();
        case HEARTBEAT -> {
          listener.stats().heartbeats.inc();
          ctx.write(codec.heartbeatReply(frame, ctx.alloc()), ctx.voidPromise());
          worker.flush(DownstreamConnection.this);
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
      while (head != null) {
        head.abandon();
      }
      if (order != null) {
        for (ActiveRequest r : order) {
          if (r.readyReply != null) {
            r.readyReply.release();
            r.readyReply = null;
          }
        }
        order.clear();
      }
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

package io.protean.proxy.callout;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.ThreadExecutorMap;
import io.protean.abi.HttpCallouts;
import io.protean.proxy.config.model.HostPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link HttpCallouts} to the proxy's clusters: each call opens a connection to one of the
 * cluster's endpoints (picked at random) on the calling event loop, sends one HTTP/1.1 request
 * ({@code Connection: close}) with Netty's client codec, aggregates the response up to
 * {@link #MAX_RESPONSE_BYTES} and closes. Nothing blocks; the timeout covers connect, send and
 * response. A callout is rare next to the RPC traffic (an auth check), so connections are not
 * pooled.
 */
public final class ClusterHttpClient implements HttpCallouts {
  /** Largest response (headers and body) a callout takes; a larger one is a failure. */
  public static final int MAX_RESPONSE_BYTES = 1 << 20;

  private final Class<? extends Channel> channelType;
  private final Function<String, List<HostPort>> endpoints;

  /**
   * @param channelType the proxy's socket channel type (of its event loops' transport)
   * @param endpoints   a cluster's endpoints by name, now; null when there is no such cluster
   */
  public ClusterHttpClient(Class<? extends Channel> channelType,
      Function<String, List<HostPort>> endpoints) {
    this.channelType = channelType;
    this.endpoints = endpoints;
  }

  @Override
  public boolean send(String cluster, Request request, long timeoutMillis, Consumer<Response> done) {
    if (!(ThreadExecutorMap.currentExecutor() instanceof EventLoop loop)) {
      throw new IllegalStateException("an HTTP callout is sent from one of the proxy's event loops");
    }
    List<HostPort> candidates = endpoints.apply(cluster);
    if (candidates == null || candidates.isEmpty()) {
      return false;
    }
    HostPort endpoint = candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
    new Call(loop, request, timeoutMillis, done).start(endpoint);
    return true;
  }

  /** One callout: its connection, its timeout, and its one answer. */
  private final class Call extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final EventLoop loop;
    private final Request request;
    private final long timeoutMillis;
    private final Consumer<Response> done;
    private ScheduledFuture<?> timeout;
    private Channel channel;
    private boolean answered;

    Call(EventLoop loop, Request request, long timeoutMillis, Consumer<Response> done) {
      this.loop = loop;
      this.request = request;
      this.timeoutMillis = timeoutMillis;
      this.done = done;
    }

    void start(HostPort endpoint) {
      timeout = loop.schedule(() -> answer(Response.failed("no response from " + endpoint + " within "
          + timeoutMillis + " ms")), timeoutMillis, TimeUnit.MILLISECONDS);
      Bootstrap b = new Bootstrap().group(loop).channel(channelType)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                  Call.this);
            }
          });
      ChannelFuture connect = b.connect(endpoint.host(), endpoint.port());
      channel = connect.channel();
      connect.addListener(f -> {
        if (!f.isSuccess()) {
          answer(Response.failed("cannot connect to " + endpoint + ": " + f.cause().getMessage()));
        } else if (!answered) {
          channel.writeAndFlush(encode());
        }
      });
    }

    private FullHttpRequest encode() {
      FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
          HttpMethod.valueOf(request.method()), request.path(), Unpooled.wrappedBuffer(request.body()));
      for (Map.Entry<String, String> h : request.headers()) {
        r.headers().add(h.getKey(), h.getValue());
      }
      r.headers().set(HttpHeaderNames.HOST, request.authority());
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, request.body().length);
      return r;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      List<Map.Entry<String, String>> headers = new ArrayList<>(response.headers().entries());
      answer(new Response(response.status().code(), headers, ByteBufUtil.getBytes(response.content()),
          null));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      answer(Response.failed("the connection closed before a response"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      answer(Response.failed("bad response: " + cause.getMessage()));
    }

    /** The first outcome wins; the connection is closed. */
    private void answer(Response r) {
      if (answered) {
        return;
      }
      answered = true;
      timeout.cancel(false);
      if (channel != null) {
        channel.close();
      }
      done.accept(r);
    }
  }
}

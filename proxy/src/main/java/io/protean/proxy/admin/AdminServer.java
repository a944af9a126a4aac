package io.protean.proxy.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint (loopback by default) on a registry of handlers: whoever composes the
 * proxy registers {@code (method, path) → handler}; this class knows nothing of what they do.
 * {@code GET /} lists the endpoints; an unknown path is 404, a known path with another method 405.
 */
public final class AdminServer {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  private record Endpoint(String method, String path, String help, AdminHandler handler) {}

  private final Map<String, Map<String, Endpoint>> byPath = new TreeMap<>();
  private Channel channel;

  /**
   * Registers {@code handler} for {@code method path} (before {@link #bind}).
   *
   * @param help one line for the index page
   */
  public AdminServer register(String method, String path, String help, AdminHandler handler) {
    byPath.computeIfAbsent(path, p -> new LinkedHashMap<>())
        .put(method, new Endpoint(method, path, help, handler));
    return this;
  }

  public void bind(EventLoopGroup group, Class<? extends ServerChannel> channelType,
      SocketAddress address) throws InterruptedException {
    channel = new ServerBootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                new Handler());
          }
        })
        .bind(address)
        .sync()
        .channel();
  }

  public InetSocketAddress localAddress() {
    return (InetSocketAddress) channel.localAddress();
  }

  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
  }

  private String index() {
    StringBuilder sb = new StringBuilder();
    byPath.values().forEach(methods -> methods.values().forEach(e ->
        sb.append(e.method).append(' ').append(e.path).append("  ").append(e.help).append('\n')));
    return sb.toString();
  }

  private CompletableFuture<AdminResponse> dispatch(AdminRequest req) {
    if (req.path().equals("/") && req.method().equals("GET")) {
      return CompletableFuture.completedFuture(AdminResponse.ok(index()));
    }
    Map<String, Endpoint> methods = byPath.get(req.path());
    if (methods == null) {
      return CompletableFuture.completedFuture(
          AdminResponse.text(404, "no such endpoint: " + req.path() + "\n\n" + index()));
    }
    Endpoint e = methods.get(req.method());
    if (e == null) {
      return CompletableFuture.completedFuture(AdminResponse.text(405,
          req.path() + " takes " + String.join(" or ", methods.keySet()) + "\n"));
    }
    try {
      return e.handler.handle(req);
    } catch (RuntimeException x) {
      return CompletableFuture.failedFuture(x);
    }
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      QueryStringDecoder uri = new QueryStringDecoder(req.uri());
      AdminRequest request = new AdminRequest(req.method().name(), uri.path(), uri.parameters());
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      dispatch(request).whenComplete((res, failure) -> {
        AdminResponse r = res;
        if (failure != null) {
          log.warn("admin {} {} failed", request.method(), request.path(), failure);
          r = AdminResponse.text(500, "internal error: " + failure + "\n");
        }
        FullHttpResponse http = http(r);
        HttpUtil.setKeepAlive(http, keepAlive);
        ctx.channel().eventLoop().execute(() -> {
          if (keepAlive) {
            ctx.writeAndFlush(http);
          } else {
            ctx.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE);
          }
        });
      });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static FullHttpResponse http(AdminResponse r) {
    ByteBuf content = Unpooled.copiedBuffer(r.body(), StandardCharsets.UTF_8);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(r.status()), content);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    return res;
  }
}

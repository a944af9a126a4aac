package io.protean.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.protean.proxy.Proxy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The admin HTTP endpoint (loopback by default): {@code /ready}, {@code /stats} (Prometheus text),
 * {@code /config_dump} (the effective configuration as JSON). Read-only; GET only.
 */
public final class AdminServer {
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
      .findAndRegisterModules();

  private final Proxy proxy;
  private Channel channel;

  public AdminServer(Proxy proxy) {
    this.proxy = proxy;
  }

  public void bind(EventLoopGroup group, Class<? extends ServerChannel> channelType,
      InetSocketAddress address) throws InterruptedException {
    channel = new ServerBootstrap()
        .group(group)
        .channel(channelType)
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

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String path = new QueryStringDecoder(req.uri()).path();
      FullHttpResponse res;
      if (path.equals("/reload")) {
        if (!HttpMethod.POST.equals(req.method())) {
          res = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "POST /reload\n", "text/plain");
        } else {
          List<String> results = proxy.reloadWasm();
          boolean refused = results.stream().anyMatch(r -> r.contains(": refused"));
          res = text(refused ? HttpResponseStatus.UNPROCESSABLE_ENTITY : HttpResponseStatus.OK,
              results.isEmpty() ? "no wasm codecs to reload\n" : String.join("\n", results) + "\n",
              "text/plain");
        }
      } else if (!HttpMethod.GET.equals(req.method())) {
        res = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET is supported\n", "text/plain");
      } else {
        res = switch (path) {
          case "/ready" -> proxy.ready()
              ? text(HttpResponseStatus.OK, "ready\n", "text/plain")
              : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n", "text/plain");
          case "/stats" -> text(HttpResponseStatus.OK, proxy.stats().prometheus(),
              "text/plain; version=0.0.4; charset=utf-8");
          case "/config_dump" -> text(HttpResponseStatus.OK, configJson(), "application/json");
          case "/" -> text(HttpResponseStatus.OK,
              "/ready\n/stats\n/config_dump\nPOST /reload\n", "text/plain");
          default -> text(HttpResponseStatus.NOT_FOUND, "no such endpoint: " + path + "\n",
              "text/plain");
        };
      }
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      HttpUtil.setKeepAlive(res, keepAlive);
      if (keepAlive) {
        ctx.writeAndFlush(res);
      } else {
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private String configJson() {
    try {
      return JSON.writeValueAsString(proxy.config()) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("config is not serialisable", e);
    }
  }

  private static FullHttpResponse text(HttpResponseStatus status, String body, String type) {
    ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    return res;
  }
}

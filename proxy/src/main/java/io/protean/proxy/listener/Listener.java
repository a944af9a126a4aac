package io.protean.proxy.listener;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.filter.FilterFactory;
import io.protean.proxy.codec.FrameDecoder;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.route.RouteTable;
import io.protean.proxy.observability.ListenerStats;
import io.protean.proxy.loop.Worker;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/** A bound downstream listener: its address, codec, filters and route table. */
public final class Listener {
  private final ListenerConfig config;
  private final CodecFactory codec;
  private final FilterFactory[] filters;
  private final RouteTable routes;
  private final ListenerStats stats;
  private Channel serverChannel;

  public Listener(ListenerConfig config, CodecFactory codec, List<FilterFactory> filters,
      ListenerStats stats) {
    this.config = config;
    this.codec = codec;
    this.filters = filters.toArray(FilterFactory[]::new);
    this.routes = new RouteTable(config.routes());
    this.stats = stats;
  }

  public String name() {
    return config.name();
  }

  CodecFactory codec() {
    return codec;
  }

  FilterFactory[] filters() {
    return filters;
  }

  RouteTable routes() {
    return routes;
  }

  ListenerStats stats() {
    return stats;
  }

  /** Binds the listener; each accepted connection is served by the worker of its event loop. */
  public void bind(EventLoopGroup group, Class<? extends ServerChannel> channelType,
      Map<EventLoop, Worker> workers) throws InterruptedException {
    serverChannel = new ServerBootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            Worker worker = workers.get(ch.eventLoop());
            Codec c = codec.newCodec();
            ch.pipeline().addLast(new FrameDecoder(c),
                new DownstreamConnection(Listener.this, worker, ch, c).handler());
          }
        })
        .bind(config.address().toAddress())
        .sync()
        .channel();
  }

  /** Two-way requests of this listener waiting for their answer. */
  public long activeRequests() {
    return stats.activeRequests.get();
  }

  /** The bound address (useful when the configured port is 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  public void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    for (FilterFactory f : filters) {
      f.close();
    }
  }
}

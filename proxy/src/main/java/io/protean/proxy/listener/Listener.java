package io.protean.proxy.listener;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.protean.proxy.cluster.ClusterManager;
import io.protean.proxy.cluster.LoopClusters;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.observability.ListenerStats;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bound downstream listener. Its socket stays bound across reloads that keep its address; what
 * it serves is its current {@link ListenerSnapshot}, replaced by {@link #update}. {@link #drain}
 * stops accepting and lets its connections finish.
 */
public final class Listener {
  private final String name;
  private final HostPort address;
  private final ListenerStats stats;
  private final ClusterManager clusters;
  private final Set<DownstreamConnection> connections = ConcurrentHashMap.newKeySet();
  private volatile ListenerSnapshot current;
  private volatile boolean draining;
  private Channel serverChannel;

  public Listener(ListenerSnapshot snapshot, ClusterManager clusters) {
    this.name = snapshot.config().name();
    this.address = snapshot.config().address();
    this.stats = snapshot.stream().stats();
    this.clusters = clusters;
    this.current = snapshot;
  }

  public String name() {
    return name;
  }

  /** The configured address (the bound one may differ when its port is 0). */
  public HostPort address() {
    return address;
  }

  /** What new frames of this listener go through. */
  public ListenerSnapshot current() {
    return current;
  }

  ListenerStats stats() {
    return stats;
  }

  /** Serves {@code next} from now on: each connection moves to it at its next frame. */
  public void update(ListenerSnapshot next) {
    current = next;
  }

  /**
   * Binds the listener; each accepted connection is served on its event loop.
   *
   * @throws Exception the bind failure (address in use, cannot resolve, ...)
   */
  public void bind(EventLoopGroup group, Class<? extends ServerChannel> channelType)
      throws Exception {
    serverChannel = new ServerBootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            LoopClusters view = clusters.view(ch.eventLoop());
            DownstreamConnection c = new DownstreamConnection(Listener.this, view, ch, current);
            if (draining) {
              ch.close();
              return;
            }
            connections.add(c);
            ch.closeFuture().addListener(f -> connections.remove(c));
            c.install();
          }
        })
        .bind(address.toAddress())
        .sync()
        .channel();
  }

  /** The bound address (useful when the configured port is 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /**
   * Stops accepting; each connection closes once its requests are answered, or at
   * {@code timeoutNanos} from now with whatever is still in flight.
   */
  public void drain(long timeoutNanos) {
    draining = true;
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    for (DownstreamConnection c : connections) {
      c.drain(timeoutNanos);
    }
  }

  /** Whether a drain has ended: no connection is left. */
  public boolean drained() {
    return connections.isEmpty();
  }
}

package io.protean.proxy.listener;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.protean.proxy.cluster.ClusterManager;
import io.protean.proxy.cluster.LoopClusters;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.observability.ListenerStats;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bound downstream listener. Its socket stays bound across reloads that keep its address; what
 * it serves is its current {@link ListenerSnapshot}, replaced by {@link #update}. {@link #drain}
 * stops accepting and lets its connections finish.
 */
public final class Listener {
  private static final Logger log = LoggerFactory.getLogger(Listener.class);
  /**
   * A downstream connection's write buffer: past the high mark (the client does not read its
   * answers) the connection stops being read until it is back under the low one. The high mark
   * is above what one I/O round of answers to a pipelining client takes (flushes are batched per
   * round), so a client that reads is not paused for it.
   */
  static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 << 10, 256 << 10);

  private final String name;
  private final HostPort address;
  private final ListenerStats stats;
  private final ClusterManager clusters;
  private final Set<DownstreamConnection> connections = ConcurrentHashMap.newKeySet();
  /** Open connections, for max_connections (counted on accept, across the event loops). */
  private final AtomicInteger open = new AtomicInteger();
  private volatile ListenerSnapshot current;
  private volatile boolean draining;
  private Channel serverChannel;

  private final BufferedRequestBytes buffered;

  public Listener(ListenerSnapshot snapshot, ClusterManager clusters,
      BufferedRequestBytes buffered) {
    this.buffered = buffered;
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

  /** The proxy's count of bytes held in incomplete requests. */
  BufferedRequestBytes buffered() {
    return buffered;
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
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (draining) {
              ch.close();
              return;
            }
            ListenerSnapshot s = current;
            if (open.incrementAndGet() > s.config().limits().maxConnections()) {
              open.decrementAndGet();
              stats.downstreamConnectionsRefused.inc();
              log.debug("listener {}: refusing a connection from {}: max_connections ({}) are open",
                  name, ch.remoteAddress(), s.config().limits().maxConnections());
              ch.close();
              return;
            }
            LoopClusters view = clusters.view(ch.eventLoop());
            DownstreamConnection c = new DownstreamConnection(Listener.this, view, ch, s);
            connections.add(c);
            ch.closeFuture().addListener(f -> {
              connections.remove(c);
              open.decrementAndGet();
            });
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

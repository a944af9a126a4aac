package io.protean.proxy.cluster;

import io.netty.channel.Channel;
import io.protean.abi.codec.CodecFactory;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.observability.ClusterStats;
import io.protean.proxy.observability.Stats;
import java.util.List;

/** A configured upstream cluster, shared by all event loops (each loop has its own {@link UpstreamPool}). */
public final class Cluster {
  private final ClusterConfig config;
  private final CodecFactory codec;
  private final ClusterStats stats;
  private final Class<? extends Channel> channelType;

  public Cluster(ClusterConfig config, CodecFactory codec, Stats stats,
      Class<? extends Channel> channelType) {
    this.config = config;
    this.codec = codec;
    this.stats = new ClusterStats(stats, config.name());
    this.channelType = channelType;
  }

  public String name() {
    return config.name();
  }

  public ClusterConfig config() {
    return config;
  }

  public List<HostPort> endpoints() {
    return config.endpoints();
  }

  /** The protocol spoken to this cluster's endpoints (the one of the listeners routing here). */
  public CodecFactory codec() {
    return codec;
  }

  public ClusterStats stats() {
    return stats;
  }

  public Class<? extends Channel> channelType() {
    return channelType;
  }
}

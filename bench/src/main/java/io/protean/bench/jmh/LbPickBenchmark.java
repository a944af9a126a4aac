package io.protean.bench.jmh;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.proxy.server.Transport;
import io.protean.proxy.codec.dubbo.DubboCodecFactory;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.observability.Stats;
import io.protean.proxy.cluster.Cluster;
import io.protean.proxy.cluster.ClusterManager;
import io.protean.proxy.cluster.LoopCluster;
import io.protean.proxy.cluster.lb.LoadBalancer;
import io.protean.proxy.upstream.UpstreamCallbacks;
import io.protean.proxy.upstream.UpstreamConnection;
import io.protean.proxy.loop.Worker;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Picking an upstream connection: {@link LoopCluster#pick(long)}, the call the proxy makes once per
 * request, for each load-balancing policy the proxy has ({@code round_robin}, {@code random},
 * {@code least_request}: power of two choices on this loop's in-flight counts; {@code ring_hash}
 * and {@code maglev}: consistent hashing, with a different request hash each pick from a table of
 * 1 024 precomputed ones, so the ring's binary search does not always walk the same path).
 *
 * <p>The cluster comes from YAML through {@link ConfigLoader}; its pool belongs to a real
 * {@link Worker} on a real event loop. Every endpoint (one connection each, the default) is
 * connected, each to its own local server port that accepts and never answers, before measuring; then
 * {@code 4 × endpoints} requests are sent through picked connections and stay in flight, so the
 * in-flight counts differ between endpoints as under load. The benchmark thread then picks; once
 * every connection exists, a pick only reads connection state and advances the pool's
 * round-robin and slot cursors, which nothing else touches.
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main LbPickBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class LbPickBenchmark {
  @Param({"round_robin", "random", "least_request", "ring_hash", "maglev"})
  public String lb;

  @Param({"3", "100"})
  public int endpoints;

  private Transport transport;
  private EventLoopGroup serverGroup;
  private EventLoopGroup loops;
  private final List<Channel> servers = new java.util.ArrayList<>();
  private ClusterManager manager;
  private LoopCluster pool;
  private Frame frame;
  private final long[] hashes = new long[1024];
  private int nextHash;

  @Setup
  public void setup() throws Exception {
    transport = Transport.best();
    AtomicInteger accepted = new AtomicInteger();
    serverGroup = transport.newGroup(1, "lb-bench-server");
    // One local server port per endpoint: the hashing policies place endpoints by address.
    int[] ports = new int[endpoints];
    for (int i = 0; i < endpoints; i++) {
      Channel s = new ServerBootstrap().group(serverGroup).channel(transport.serverChannel())
          .childHandler(new Sink(accepted))
          .bind("127.0.0.1", 0).sync().channel();
      servers.add(s);
      ports[i] = ((InetSocketAddress) s.localAddress()).getPort();
    }

    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] = LoadBalancer.requestHash(random.nextLong());
    }
    ClusterConfig config = cluster(lb, ports);
    loops = transport.newGroup(1, "lb-bench-worker");
    Cluster cluster = Cluster.build(config, new DubboCodecFactory(), new Stats(), null, 1);
    Worker worker = new Worker(loops.next());
    manager = new ClusterManager(List.of(worker), transport.channel());
    manager.update(Map.of(config.name(), cluster)).join();
    pool = worker.loop().submit(() -> manager.view(worker.loop()).get(config.name())).get();

    ByteBuf request = Unpooled.wrappedBuffer(BenchFrames.dubboRequest(256));
    frame = new DubboCodecFactory().newCodec().decode(request);
    request.release();
    UpstreamCallbacks inFlight = new UpstreamCallbacks() {
      @Override
      public Frame frame() {
        return frame;
      }

      @Override
      public void onResponse(Frame response) {
        response.release();
      }

      @Override
      public void onUpstreamFailure(ErrorType error, String message) {}
    };
    worker.loop().submit(() -> {
      // Opens each endpoint's connection at its first pick; random policies need more than n
      // picks to reach every endpoint (50 n leave one out with probability below n e^-50).
      for (int i = 0; i < 50 * endpoints; i++) {
        pool.pick(LoadBalancer.NO_HASH, null);
      }
    }).sync();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (accepted.get() < endpoints) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(accepted.get() + " of " + endpoints + " connections came up");
      }
      Thread.sleep(5);
    }
    worker.loop().submit(() -> {
      for (int i = 0; i < 4 * endpoints; i++) {
        pool.pick(LoadBalancer.NO_HASH, null).send(inFlight, frame.content().retainedDuplicate(), true);
      }
    }).sync();
  }

  /** An upstream server: counts connections, reads requests and never answers. */
  @ChannelHandler.Sharable
  private static final class Sink extends ChannelInboundHandlerAdapter {
    private final AtomicInteger accepted;

    Sink(AtomicInteger accepted) {
      this.accepted = accepted;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      accepted.incrementAndGet();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }

  /** A cluster of endpoints on the local {@code ports} as ConfigLoader builds it. */
  static ClusterConfig cluster(String lb, int... ports) {
    StringBuilder yaml = new StringBuilder("admin: {enabled: false}\nclusters:\n  - name: upstream\n")
        .append("    lb: ").append(lb).append("\n    endpoints:\n");
    for (int port : ports) {
      yaml.append("      - 127.0.0.1:").append(port).append('\n');
    }
    yaml.append("""
        listeners:
          - name: dubbo
            address: 127.0.0.1:20881
            codec: dubbo
            routes:
              - cluster: upstream
        """);
    return new ConfigLoader(c -> c.equals("dubbo"), f -> false).parse(yaml.toString()).clusters().get(0);
  }

  @Benchmark
  public UpstreamConnection pick() {
    long hash = hashes[nextHash];
    nextHash = (nextHash + 1) & (hashes.length - 1);
    return pool.pick(hash, null); // ignored by the policies that do not hash
  }

  @TearDown
  public void tearDown() throws Exception {
    manager.close().join();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    for (Channel s : servers) {
      s.close().sync();
    }
    serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    frame.release();
  }
}

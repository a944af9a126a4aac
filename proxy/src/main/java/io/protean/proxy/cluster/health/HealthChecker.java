package io.protean.proxy.cluster.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;
import io.protean.proxy.config.model.ProxyConfig.HealthCheckConfig;
import io.protean.proxy.observability.HealthCheckStats;
import io.protean.proxy.observability.Stats;
import io.protean.proxy.upstream.Endpoint;
import io.protean.proxy.upstream.Endpoint.ActiveHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active health check of one cluster version: a check per endpoint, all on one event loop,
 * on connections of their own (never the pools' connections, so a check measures the endpoint,
 * not the queue in front of it). The verdict is written to the shared {@link Endpoint}, which
 * every loop's picks read; the thresholds and timers live here, confined to the loop.
 *
 * <p>Semantics of Envoy's cluster.v3 HealthCheck: a check starts at once, then every
 * {@code interval} plus a random part of {@code interval_jitter} after the previous one ended;
 * while the cluster has never had a request, every {@code no_traffic_interval} instead (looked
 * at each interval, so the first request brings the normal interval back at once). An answer must
 * come within {@code timeout} of the start (connect included); a protocol check keeps its
 * connection between checks and closes it on a timeout. A new endpoint is {@code unknown}
 * (Envoy's pending first check: no traffic) until its first check decides; then
 * {@code unhealthy_threshold} failures in a row make it unhealthy and {@code healthy_threshold}
 * successes in a row healthy again.
 */
public final class HealthChecker {
  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  private final String cluster;
  private final HealthCheckConfig config;
  private final HealthCheck protocol;
  private final CodecFactory codec;
  private final HealthCheckStats stats;
  private final BooleanSupplier hadTraffic;
  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final List<EndpointCheck> checks = new ArrayList<>();
  private boolean stopped;

  /**
   * @param protocol   the codec's check, or null for a TCP connect check
   * @param hadTraffic whether the cluster ever had a request (then {@code interval} applies)
   */
  private HealthChecker(String cluster, List<Endpoint> endpoints, HealthCheckConfig config,
      HealthCheck protocol, CodecFactory codec, HealthCheckStats stats, BooleanSupplier hadTraffic,
      EventLoop loop, Class<? extends Channel> channelType) {
    this.cluster = cluster;
    this.config = config;
    this.protocol = protocol;
    this.codec = codec;
    this.stats = stats;
    this.hadTraffic = hadTraffic;
    this.loop = loop;
    this.bootstrap = new Bootstrap().group(loop).channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis()));
    for (Endpoint e : endpoints) {
      checks.add(new EndpointCheck(e, stats.endpointHealthy(e.address().toString())));
    }
  }

  /** Starts checking {@code endpoints} on {@code loop}; returns at once. */
  public static HealthChecker start(String cluster, List<Endpoint> endpoints,
      HealthCheckConfig config, HealthCheck protocol, CodecFactory codec, HealthCheckStats stats,
      BooleanSupplier hadTraffic, EventLoop loop, Class<? extends Channel> channelType) {
    HealthChecker h = new HealthChecker(cluster, endpoints, config, protocol, codec, stats,
        hadTraffic, loop, channelType);
    loop.execute(() -> h.checks.forEach(EndpointCheck::start));
    return h;
  }

  /**
   * Stops every check and closes its connection. Endpoints not in {@code stillChecked} (removed,
   * or their cluster no longer checks them) lose their verdict and go back to not checked; the
   * others keep it for the checker that takes over. Returns at once.
   */
  public void stop(Set<Endpoint> stillChecked) {
    loop.execute(() -> {
      stopped = true;
      for (EndpointCheck c : checks) {
        c.stop(!stillChecked.contains(c.endpoint));
      }
    });
  }

  /** The check of one endpoint. Confined to the loop. */
  private final class EndpointCheck {
    final Endpoint endpoint;
    final Stats.Gauge healthyGauge;
    /** The protocol check's connection, kept between checks; null when closed. */
    Channel channel;
    long nextId;
    /** The id of the check in flight, 0 when none is. */
    long awaiting;
    long lastStart;
    int successes;
    int failures;
    ScheduledFuture<?> timer;

    EndpointCheck(Endpoint endpoint, Stats.Gauge healthyGauge) {
      this.endpoint = endpoint;
      this.healthyGauge = healthyGauge;
    }

    void start() {
      if (stopped) {
        return;
      }
      if (endpoint.activeHealth() == ActiveHealth.NOT_CHECKED) {
        set(ActiveHealth.UNKNOWN);
      }
      check();
    }

    void stop(boolean forget) {
      if (timer != null) {
        timer.cancel(false);
      }
      awaiting = 0;
      if (channel != null) {
        channel.close();
        channel = null;
      }
      if (forget) {
        set(ActiveHealth.NOT_CHECKED);
      }
    }

    /** Runs at each interval: a check, unless the cluster is idle and checked recently enough. */
    void tick() {
      if (stopped) {
        return;
      }
      if (!hadTraffic.getAsBoolean()
          && System.nanoTime() - lastStart < config.noTrafficInterval().toNanos()) {
        schedule();
        return;
      }
      check();
    }

    void check() {
      stats.attempts.inc();
      lastStart = System.nanoTime();
      long id = ++nextId;
      awaiting = id;
      timer = loop.schedule(() -> timedOut(id), config.timeout().toNanos(), TimeUnit.NANOSECONDS);
      if (protocol == null) {
        connect().addListener((ChannelFuture f) -> {
          if (f.isSuccess()) {
            f.channel().close();
          }
          done(id, f.isSuccess(), f.isSuccess() ? null : f.cause());
        });
      } else if (channel != null) {
        send(id);
      } else {
        ChannelFuture f = connect();
        channel = f.channel();
        f.addListener((ChannelFuture cf) -> {
          if (cf.isSuccess()) {
            if (awaiting == id && cf.channel() == channel) {
              send(id);
            }
          } else {
            if (cf.channel() == channel) {
              channel = null;
            }
            done(id, false, cf.cause());
          }
        });
      }
    }

    private ChannelFuture connect() {
      Bootstrap b = bootstrap.clone();
      if (protocol != null) {
        Codec c = codec.newCodec();
        b.handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new FrameDecoder(c), new Answers(EndpointCheck.this, c));
          }
        });
      } else {
        b.handler(new ChannelInboundHandlerAdapter());
      }
      return b.connect(endpoint.address().toUnresolvedAddress());
    }

    private void send(long id) {
      ByteBuf request;
      try {
        request = protocol.request(id, channel.alloc());
      } catch (RuntimeException e) { // a Wasm module that failed to build it: the check fails
        done(id, false, e.getMessage());
        return;
      }
      channel.writeAndFlush(request).addListener(f -> {
        if (!f.isSuccess()) {
          done(id, false, f.cause());
        }
      });
    }

    private void timedOut(long id) {
      if (awaiting != id) {
        return;
      }
      if (channel != null) {
        Channel c = channel;
        channel = null; // a late answer must not count for a later check
        c.close();
      }
      done(id, false, "no answer within " + config.timeout().toMillis() + " ms");
    }

    /** An answer, or the connection closed, on {@code ch}. */
    void answered(Channel ch, Frame answer) {
      if (ch != channel || awaiting == 0 || answer.requestId() != awaiting) {
        return;
      }
      boolean passed;
      try {
        passed = protocol.passes(answer);
      } catch (RuntimeException e) { // a malformed answer fails the check
        passed = false;
      }
      done(awaiting, passed, "a failing answer: " + answer);
    }

    void closed(Channel ch) {
      if (ch != channel) {
        return;
      }
      channel = null;
      if (awaiting != 0) {
        done(awaiting, false, "the connection closed");
      }
    }

    /** The end of check {@code id}: counts it, moves the verdict, schedules the next. */
    private void done(long id, boolean passed, Object why) {
      if (awaiting != id || stopped) {
        return;
      }
      awaiting = 0;
      timer.cancel(false);
      if (passed) {
        stats.successes.inc();
        failures = 0;
        successes++;
        ActiveHealth h = endpoint.activeHealth();
        if (h == ActiveHealth.UNKNOWN
            || h == ActiveHealth.UNHEALTHY && successes >= config.healthyThreshold()) {
          set(ActiveHealth.HEALTHY);
        }
      } else {
        stats.failures.inc();
        successes = 0;
        failures++;
        ActiveHealth h = endpoint.activeHealth();
        if (h == ActiveHealth.UNKNOWN
            || h == ActiveHealth.HEALTHY && failures >= config.unhealthyThreshold()) {
          set(ActiveHealth.UNHEALTHY);
        }
        if (log.isDebugEnabled()) {
          log.debug("cluster {}: health check of {} failed: {}", cluster, endpoint, why);
        }
      }
      schedule();
    }

    private void schedule() {
      long jitter = config.intervalJitter().toNanos();
      long delay = config.interval().toNanos()
          + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter) : 0);
      timer = loop.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
    }

    private void set(ActiveHealth next) {
      ActiveHealth was = endpoint.activeHealth();
      if (was == next) {
        return;
      }
      if (was == ActiveHealth.HEALTHY) {
        healthyGauge.dec();
      } else if (next == ActiveHealth.HEALTHY) {
        healthyGauge.inc();
      }
      if (was != ActiveHealth.NOT_CHECKED && next != ActiveHealth.NOT_CHECKED) {
        log.info("cluster {}: endpoint {} is now {} (health check)", cluster, endpoint,
            next.label());
      }
      endpoint.activeHealth(next);
    }
  }

  /** Frames from the check's connection, decoded by a codec of the cluster's protocol. */
  private static final class FrameDecoder extends ByteToMessageDecoder {
    private final Codec codec;

    FrameDecoder(Codec codec) {
      this.codec = codec;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      codec.inputMoved(); // the cumulation may have moved since the last call
      Frame f = codec.decode(in);
      if (f != null) {
        out.add(f);
      }
    }
  }

  /** Hands answers to the check; answers the endpoint's own heartbeats; drops anything else. */
  private static final class Answers extends ChannelInboundHandlerAdapter {
    private final EndpointCheck check;
    private final Codec codec;

    Answers(EndpointCheck check, Codec codec) {
      this.check = check;
      this.codec = codec;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Frame f = (Frame) msg;
      try {
        if (f.type() == MessageType.HEARTBEAT) {
          ctx.writeAndFlush(codec.heartbeatReply(f, ctx.alloc()));
        } else {
          check.answered(ctx.channel(), f);
        }
      } finally {
        f.release();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      codec.close();
      check.closed(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A codec error or a reset: the connection is of no more use; closing fails the check.
      ctx.close();
    }
  }
}

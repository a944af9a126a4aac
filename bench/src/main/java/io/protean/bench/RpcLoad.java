package io.protean.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A closed-loop RPC load generator: {@code connections} connections, each keeping
 * {@code inflight} requests outstanding, frames pipelined (written as responses arrive, flushed
 * once per read batch). Every request is a real frame built by the protocol's own library — Dubbo
 * hessian2 {@code EchoService.echo(String)} by Dubbo's codec ({@link DubboWire}), or a Thrift
 * framed binary {@code Echo.echo(text)} by libthrift's generated code ({@link ThriftWire}) — its id
 * patched per request; every response is checked: its id must be one in flight on that
 * connection, its status a success, its body byte-equal to the one learnt from a probe call. A
 * wrong, unknown or missing response is an error; any error makes the exit code 1.
 *
 * <p>Runs a fixed warm-up, then a fixed measurement window, then drains what is in flight and
 * stops. Loopback targets only.
 */
@Command(name = "rpc-load", mixinStandardHelpOptions = true,
    description = "Closed-loop Dubbo or Thrift load generator (loopback only).")
public final class RpcLoad implements Callable<Integer> {
  private static final int MAX_ERROR_SAMPLES = 10;

  @Option(names = "--protocol", defaultValue = "dubbo",
      description = "dubbo or thrift (framed, binary) (default dubbo)")
  String protocol = "dubbo";

  @Option(names = "--target", description = "host:port of the endpoint (loopback only)",
      defaultValue = "127.0.0.1:20880")
  String target;

  @Option(names = "--connections", defaultValue = "16", description = "connections (default 16)")
  int connections;

  @Option(names = "--inflight", defaultValue = "8",
      description = "requests in flight per connection (default 8)")
  int inflight;

  @Option(names = "--warmup", defaultValue = "2", description = "warm-up seconds (default 2)")
  double warmupSeconds;

  @Option(names = "--duration", defaultValue = "5", description = "measured seconds (default 5)")
  double durationSeconds;

  @Option(names = "--payload", defaultValue = "64",
      description = "echo payload in bytes (default 64)")
  int payloadBytes;

  @Option(names = "--threads", defaultValue = "1",
      description = "generator event-loop threads (default 1)")
  int threads;

  @Option(names = "--drain-timeout", defaultValue = "5",
      description = "seconds to wait for in-flight responses at the end (default 5)")
  double drainSeconds;

  @Option(names = "--json", description = "print one machine-readable JSON line")
  boolean json;

  @Option(names = "--proxy-pid", defaultValue = "0",
      description = "a process whose CPU in the measured window is reported as proxy_cpu_s")
  long proxyPid;

  @Option(names = "--server-pid", defaultValue = "0",
      description = "a process whose CPU in the measured window is reported as server_cpu_s")
  long serverPid;

  @Option(names = "--clk-tck", defaultValue = "100",
      description = "the kernel's clock ticks per second, for /proc/PID/stat (default 100)")
  int clockTicks = 100; // also when built without picocli (tests)

  @Option(names = "--timeline",
      description = "write the measured window as 10 ms buckets (answers, max latency; JSON lines) to this file")
  java.nio.file.Path timeline;

  /** The timeline's bucket. */
  static final long TIMELINE_BUCKET_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private enum Phase { IDLE, WARMUP, MEASURE, STOP }

  private volatile Phase phase = Phase.IDLE;
  private volatile long measureStartNanos = Long.MAX_VALUE;
  private final LongAdder errors = new LongAdder();
  private final ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
  private final AtomicInteger errorSampleCount = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Set once the missing answers are counted: our own closing is not a peer's close. */
  private volatile boolean closing;
  private Wire wire;

  public static void main(String[] args) {
    quietLogs();
    System.exit(new CommandLine(new RpcLoad()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Result r = run();
    System.out.println(json ? r.toJson() : r.toText());
    return r.ok() ? 0 : 1;
  }

  /** Dubbo's info logs (from building the request frame) would drown the report. */
  static void quietLogs() {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    if (System.getProperty("dubbo.application.logger") == null) {
      System.setProperty("dubbo.application.logger", "slf4j");
    }
  }

  /** The figures of one run. Latencies in microseconds. */
  public record Result(String target, String transport, int connections, int inflight,
      int payloadBytes, int threads, double warmupSeconds, double durationSeconds,
      long requests, long errors, List<String> errorSamples, double qps, double p50Us,
      double p99Us, double p999Us, double maxUs, double meanUs, double cpuSeconds,
      double totalCpuSeconds, long answered, int requestBytes, int responseBytes,
      double proxyCpuSeconds, double serverCpuSeconds) {

    public boolean ok() {
      return errors == 0 && requests > 0;
    }

    /** The generator's CPU in the measured window as a share of one core. */
    public double cpuCores() {
      return durationSeconds > 0 ? cpuSeconds / durationSeconds : 0;
    }

    public String toJson() {
      StringBuilder sb = new StringBuilder("{");
      sb.append("\"target\":\"").append(target).append('"');
      sb.append(",\"transport\":\"").append(transport).append('"');
      sb.append(",\"connections\":").append(connections);
      sb.append(",\"inflight\":").append(inflight);
      sb.append(",\"payload\":").append(payloadBytes);
      sb.append(",\"threads\":").append(threads);
      sb.append(",\"warmup_s\":").append(fmt(warmupSeconds));
      sb.append(",\"duration_s\":").append(fmt(durationSeconds));
      sb.append(",\"requests\":").append(requests);
      sb.append(",\"errors\":").append(errors);
      sb.append(",\"qps\":").append(fmt(qps));
      sb.append(",\"p50_us\":").append(fmt(p50Us));
      sb.append(",\"p99_us\":").append(fmt(p99Us));
      sb.append(",\"p999_us\":").append(fmt(p999Us));
      sb.append(",\"max_us\":").append(fmt(maxUs));
      sb.append(",\"mean_us\":").append(fmt(meanUs));
      sb.append(",\"gen_cpu_s\":").append(fmt(cpuSeconds));
      sb.append(",\"gen_cpu_total_s\":").append(fmt(totalCpuSeconds));
      sb.append(",\"answered\":").append(answered);
      sb.append(",\"request_bytes\":").append(requestBytes);
      sb.append(",\"response_bytes\":").append(responseBytes);
      if (proxyCpuSeconds >= 0) {
        sb.append(",\"proxy_cpu_s\":").append(fmt(proxyCpuSeconds));
      }
      if (serverCpuSeconds >= 0) {
        sb.append(",\"server_cpu_s\":").append(fmt(serverCpuSeconds));
      }
      sb.append(",\"error_samples\":[");
      for (int i = 0; i < errorSamples.size(); i++) {
        sb.append(i == 0 ? "" : ",").append('"')
            .append(errorSamples.get(i).replace("\\", "\\\\").replace("\"", "'")).append('"');
      }
      return sb.append("]}").toString();
    }

    public String toText() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT,
          "target %s (%s), %d connections x %d in flight, payload %d B (request %d B, response"
              + " %d B), %d generator thread(s)%n",
          target, transport, connections, inflight, payloadBytes, requestBytes, responseBytes,
          threads));
      sb.append(String.format(Locale.ROOT,
          "warm-up %.1f s, measured %.1f s: %d requests, %.0f req/s, errors %d%n",
          warmupSeconds, durationSeconds, requests, qps, errors));
      sb.append(String.format(Locale.ROOT,
          "latency us: p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f%n",
          p50Us, p99Us, p999Us, maxUs, meanUs));
      sb.append(String.format(Locale.ROOT,
          "generator CPU: %.2f s in the measured window (%.2f cores), %.2f s in all",
          cpuSeconds, cpuSeconds / durationSeconds, totalCpuSeconds));
      if (proxyCpuSeconds >= 0) {
        sb.append(String.format(Locale.ROOT, "%nproxy CPU in the window: %.2f s (%.2f cores)",
            proxyCpuSeconds, proxyCpuSeconds / durationSeconds));
      }
      if (serverCpuSeconds >= 0) {
        sb.append(String.format(Locale.ROOT, "%nserver CPU in the window: %.2f s (%.2f cores)",
            serverCpuSeconds, serverCpuSeconds / durationSeconds));
      }
      for (String e : errorSamples) {
        sb.append(System.lineSeparator()).append("error: ").append(e);
      }
      return sb.toString();
    }

    private static String fmt(double v) {
      return String.format(Locale.ROOT, "%.3f", v);
    }
  }

  /** Runs the load as configured by the options and returns its figures. */
  public Result run() throws Exception {
    if (connections < 1 || inflight < 1 || threads < 1 || payloadBytes < 0
        || durationSeconds <= 0 || warmupSeconds < 0) {
      throw new IllegalArgumentException("bad options");
    }
    InetSocketAddress address = loopback(target);
    wire = switch (protocol) {
      case "dubbo" -> new DubboWire(payloadBytes);
      case "thrift" -> new ThriftWire(payloadBytes);
      default -> throw new IllegalArgumentException("--protocol: expected dubbo or thrift, found " + protocol);
    };
    // Ids hold the connection index above connectionShift bits and the slot below it.
    if (connections > 1L << (wire.idBits() - wire.connectionShift())
        || inflight > 1L << wire.connectionShift()) {
      throw new IllegalArgumentException("too many connections or requests in flight for "
          + protocol + "'s " + wire.idBits() + "-bit request ids");
    }
    byte[] template = wire.request();

    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends SocketChannel> channelType =
        epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, io);
    var os = (com.sun.management.OperatingSystemMXBean)
        ManagementFactory.getOperatingSystemMXBean();
    long cpuAtStart = os.getProcessCpuTime();
    ProcessCpu proxyCpu = proxyPid > 0 ? new ProcessCpu(proxyPid, clockTicks) : null;
    ProcessCpu serverCpu = serverPid > 0 ? new ProcessCpu(serverPid, clockTicks) : null;
    try {
      byte[] expectedBody = probe(group, channelType, address, template);
      List<Conn> conns = new ArrayList<>();
      List<Channel> channels = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        Conn conn = new Conn(i, template, expectedBody);
        conns.add(conn);
        channels.add(bootstrap(group, channelType, conn).connect(address).sync().channel());
      }
      phase = Phase.WARMUP;
      for (int i = 0; i < connections; i++) {
        Conn conn = conns.get(i);
        channels.get(i).eventLoop().execute(conn::start);
      }
      sleepSeconds(warmupSeconds);
      double proxy0 = proxyCpu == null ? 0 : proxyCpu.seconds();
      double server0 = serverCpu == null ? 0 : serverCpu.seconds();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      long epoch0 = System.currentTimeMillis();
      measureStartNanos = t0;
      phase = Phase.MEASURE;
      sleepSeconds(durationSeconds);
      phase = Phase.STOP;
      long t1 = System.nanoTime();
      long cpu1 = os.getProcessCpuTime();
      double proxyWindow = proxyCpu == null ? -1 : proxyCpu.seconds() - proxy0;
      double serverWindow = serverCpu == null ? -1 : serverCpu.seconds() - server0;

      long drainDeadline = System.nanoTime() + (long) (drainSeconds * 1e9);
      while (inFlight.get() > 0 && System.nanoTime() < drainDeadline) {
        Thread.sleep(5);
      }
      closing = true;
      int missing = inFlight.get();
      if (missing > 0) {
        error(missing, missing + " response(s) missing " + drainSeconds + " s after the end");
      }
      for (Channel ch : channels) {
        ch.close().syncUninterruptibly();
      }
      if (timeline != null) {
        writeTimeline(channels, conns, epoch0);
      }
      Histogram total = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      long requests = 0;
      long answered = 1; // the probe
      for (int i = 0; i < connections; i++) {
        Conn conn = conns.get(i);
        // The histogram belongs to the connection's event loop: read it there.
        Object[] snap = channels.get(i).eventLoop()
            .submit(() -> new Object[] {conn.histogram.copy(), conn.measured, conn.answered})
            .get();
        total.add((Histogram) snap[0]);
        requests += (Long) snap[1];
        answered += (Long) snap[2];
      }
      double seconds = (t1 - t0) / 1e9;
      long cpuEnd = os.getProcessCpuTime();
      return new Result(address.getHostString() + ":" + address.getPort(),
          epoll ? "epoll" : "nio", connections, inflight, payloadBytes, threads, warmupSeconds,
          seconds, requests, errors.sum(), List.copyOf(errorSamples), requests / seconds,
          us(total.getValueAtPercentile(50)), us(total.getValueAtPercentile(99)),
          us(total.getValueAtPercentile(99.9)), us(total.getMaxValue()),
          total.getTotalCount() == 0 ? 0 : total.getMean() / 1000.0,
          (cpu1 - cpu0) / 1e9, (cpuEnd - cpuAtStart) / 1e9, answered, template.length,
          expectedBody.length + responseHeader, proxyWindow, serverWindow);
    } finally {
      phase = Phase.STOP;
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /** Merges the connections' timelines (read on their loops) and writes one line per bucket. */
  private void writeTimeline(List<Channel> channels, List<Conn> conns, long epoch0)
      throws Exception {
    int n = timelineBuckets();
    long[] count = new long[n];
    long[] max = new long[n];
    for (int i = 0; i < conns.size(); i++) {
      Conn conn = conns.get(i);
      long[][] snap = channels.get(i).eventLoop()
          .submit(() -> new long[][] {conn.tlCount.clone(), conn.tlMax.clone()}).get();
      for (int b = 0; b < n; b++) {
        count[b] += snap[0][b];
        max[b] = Math.max(max[b], snap[1][b]);
      }
    }
    StringBuilder sb = new StringBuilder();
    long bucketMs = TIMELINE_BUCKET_NANOS / 1_000_000;
    for (int b = 0; b < n; b++) {
      sb.append("{\"t_ms\":").append(b * bucketMs)
          .append(",\"epoch_ms\":").append(epoch0 + b * bucketMs)
          .append(",\"answers\":").append(count[b])
          .append(",\"max_us\":").append(max[b] / 1000)
          .append("}\n");
    }
    java.nio.file.Files.writeString(timeline, sb);
  }

  private int timelineBuckets() {
    return timeline == null ? 0
        : (int) ((long) (durationSeconds * 1e9) / TIMELINE_BUCKET_NANOS) + 1;
  }

  /**
   * The id of connection {@code index}'s {@code seq}-th request, sent from {@code slot}. The part
   * below {@code shift} bits is a multiple of {@code inflight} plus the slot, wrapping before it
   * reaches {@code 1 << shift}, so {@link #slotOf} finds the slot again for any {@code inflight}
   * (Thrift ids wrap after about a million requests per connection).
   */
  static long requestId(int index, long seq, int slot, int inflight, int shift) {
    long perSlot = (1L << shift) / inflight;
    return ((long) index << shift) | ((seq % perSlot) * inflight + slot);
  }

  static int slotOf(long id, int inflight, int shift) {
    return (int) Long.remainderUnsigned(id & ((1L << shift) - 1), inflight);
  }

  private static double us(long nanos) {
    return nanos / 1000.0;
  }

  private static void sleepSeconds(double s) throws InterruptedException {
    long end = System.nanoTime() + (long) (s * 1e9);
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  /** Resolves {@code host:port} and refuses anything but a loopback address. */
  static InetSocketAddress loopback(String hostPort) throws java.net.UnknownHostException {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--target must be host:port, was " + hostPort);
    }
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(hostPort.substring(colon + 1));
    InetAddress addr = InetAddress.getByName(host);
    if (!addr.isLoopbackAddress()) {
      throw new IllegalArgumentException("refusing a non-loopback target: " + hostPort);
    }
    return new InetSocketAddress(addr, port);
  }

  private Bootstrap bootstrap(EventLoopGroup group, Class<? extends SocketChannel> type,
      ChannelInboundHandlerAdapter handler) {
    return new Bootstrap().group(group).channel(type)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(wire.framer(), handler);
          }
        });
  }

  /**
   * One call on its own connection; checks it is an OK echo and returns its body (the bytes
   * after the header), which every later response must equal.
   */
  private byte[] probe(EventLoopGroup group, Class<? extends SocketChannel> type,
      InetSocketAddress address, byte[] template) throws Exception {
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    long id = (1L << (wire.connectionShift() + 10)) + 1; // a connection index no Conn has
    Channel ch = bootstrap(group, type, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
          answer.complete(ByteBufUtil.getBytes(frame));
        } finally {
          frame.release();
        }
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        answer.completeExceptionally(new IllegalStateException("probe connection closed"));
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        answer.completeExceptionally(cause);
        ctx.close();
      }
    }).connect(address).sync().channel();
    try {
      ByteBuf req = Unpooled.wrappedBuffer(template.clone());
      wire.writeId(req, id);
      ch.writeAndFlush(req);
      byte[] frame = answer.get(10, TimeUnit.SECONDS);
      ByteBuf reply = Unpooled.wrappedBuffer(frame);
      long gotId = wire.readId(reply);
      if (gotId != id) {
        throw new IllegalStateException("probe: response id " + gotId + ", sent " + id);
      }
      int bodyOffset = wire.bodyOffset(reply);
      String failure = wire.failure(reply);
      if (failure != null) {
        throw new IllegalStateException("probe: " + failure + ", body " + new String(frame,
            bodyOffset, frame.length - bodyOffset, java.nio.charset.StandardCharsets.ISO_8859_1));
      }
      responseHeader = bodyOffset;
      byte[] body = java.util.Arrays.copyOfRange(frame, bodyOffset, frame.length);
      // Hessian2 and Thrift write an ASCII string of < 32k chars as its bytes: the echo holds them.
      if (payloadBytes > 0 && payloadBytes < 32_000) {
        byte[] p = RequestFrames.payload(payloadBytes)
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (ByteBufUtil.indexOf(Unpooled.wrappedBuffer(p), Unpooled.wrappedBuffer(body)) < 0) {
          throw new IllegalStateException("probe: the response does not echo the payload");
        }
      }
      return body;
    } finally {
      ch.close().syncUninterruptibly();
    }
  }

  /** Bytes before the compared body in a reply, for the report. */
  private int responseHeader;

  private void error(long count, String message) {
    errors.add(count);
    if (errorSampleCount.getAndIncrement() < MAX_ERROR_SAMPLES) {
      errorSamples.add(message);
    }
  }

  /** One connection; all its state belongs to its event loop. */
  private final class Conn extends ChannelInboundHandlerAdapter {
    private final int index;
    private final byte[] template;
    private final byte[] expectedBody;
    private final ByteBuf expected;
    private final long[] slotId;
    private final long[] slotSentNanos;
    private final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    /** Per timeline bucket of the measured window (empty without --timeline). */
    private final long[] tlCount = new long[timelineBuckets()];
    private final long[] tlMax = new long[tlCount.length];
    private long seq;
    private int outstanding;
    private long measured;
    private long answered;
    private boolean needFlush;
    private ChannelHandlerContext ctx;

    Conn(int index, byte[] template, byte[] expectedBody) {
      this.index = index;
      this.template = template;
      this.expectedBody = expectedBody;
      this.expected = Unpooled.wrappedBuffer(expectedBody).asReadOnly();
      this.slotId = new long[inflight];
      this.slotSentNanos = new long[inflight];
      java.util.Arrays.fill(slotId, -1L);
    }

    @Override
    public boolean isSharable() {
      return false;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    void start() {
      for (int slot = 0; slot < inflight; slot++) {
        send(slot);
      }
      ctx.flush();
    }

    private void send(int slot) {
      long id = requestId(index, seq++, slot, inflight, wire.connectionShift());
      ByteBuf frame = ctx.alloc().directBuffer(template.length);
      frame.writeBytes(template);
      wire.writeId(frame, id);
      slotId[slot] = id;
      outstanding++;
      inFlight.incrementAndGet();
      slotSentNanos[slot] = System.nanoTime();
      ctx.write(frame, ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      try {
        onFrame(frame);
      } finally {
        frame.release();
      }
    }

    private void onFrame(ByteBuf frame) {
      long now = System.nanoTime();
      if (wire.isServerMessage(frame)) {
        return; // a heartbeat or other event from the server, not an answer
      }
      long id = wire.readId(frame);
      int slot = slotOf(id, inflight, wire.connectionShift());
      if ((id >>> wire.connectionShift()) != index || slotId[slot] != id) {
        error(1, "connection " + index + ": response id " + id + " is not in flight");
        return;
      }
      slotId[slot] = -1L;
      outstanding--;
      inFlight.decrementAndGet();
      String failure = wire.failure(frame);
      int bodyOffset = wire.bodyOffset(frame);
      int bodyLength = frame.readableBytes() - bodyOffset;
      Phase p = phase;
      if (failure != null) {
        error(1, "connection " + index + ": id " + id + " " + failure);
      } else if (bodyLength != expectedBody.length || !ByteBufUtil.equals(
          frame, frame.readerIndex() + bodyOffset, expected, 0, bodyLength)) {
        error(1, "connection " + index + ": id " + id + " body differs from the expected ("
            + bodyLength + " bytes, expected " + expectedBody.length + ")");
      } else {
        answered++;
        if (p == Phase.MEASURE && slotSentNanos[slot] >= measureStartNanos) {
          long latency = now - slotSentNanos[slot];
          histogram.recordValue(Math.min(latency, histogram.getHighestTrackableValue()));
          measured++;
          int b = (int) ((now - measureStartNanos) / TIMELINE_BUCKET_NANOS);
          if (b < tlCount.length) {
            tlCount[b]++;
            tlMax[b] = Math.max(tlMax[b], latency);
          }
        }
      }
      if (p != Phase.STOP) {
        send(slot);
        needFlush = true;
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (needFlush) {
        needFlush = false;
        ctx.flush();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!closing && (phase != Phase.STOP || outstanding > 0)) {
        error(Math.max(outstanding, 1), "connection " + index + " closed by the peer with "
            + outstanding + " request(s) in flight");
        inFlight.addAndGet(-outstanding);
        outstanding = 0;
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      error(1, "connection " + index + ": " + cause);
      ctx.close();
    }
  }
}

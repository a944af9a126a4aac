package io.protean.conformance;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Frame;
import io.protean.proxy.codec.dubbo.DubboCapture;
import io.protean.proxy.codec.dubbo.DubboCodecFactory;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboGenericConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.demo.peers.Order;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.rpc.RpcContext;

/**
 * Regenerates conformance/vectors/dubbo/captured-*.yaml from real Apache Dubbo 3.3.6 traffic: a
 * real consumer calls a real provider through a recording relay. The expected outcome written into
 * each vector is what the native codec decodes today; review the diff when regenerating.
 *
 * <pre>conformance/capture-dubbo.sh</pre>
 */
public final class CaptureDubboVectors {
  private CaptureDubboVectors() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "conformance/vectors/dubbo");
    Files.createDirectories(dir);
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      port = s.getLocalPort();
    }
    try (DubboProvider provider = new DubboProvider("capture", port, "1.0.0", "g1");
        DubboCapture capture = new DubboCapture(port);
        DubboConsumer consumer = new DubboConsumer(capture.port(), "1.0.0", "g1", 10_000)) {
      RpcContext.getClientAttachment().setAttachment("x-user", "alice");
      RpcContext.getClientAttachment().setObjectAttachment("x-num", 42);
      consumer.service().greet("ann");
      consumer.service().echo("x\u00e9".repeat(1 << 19));
      Order order = new Order();
      order.id = "o-1";
      order.items = List.of(new Order.Item("sku-1", 3), new Order.Item("sku-\u4e2d", 1));
      order.tags = Map.of("k", List.of(1, 2L, 3.5, "s"));
      order.blob = new byte[300];
      order.quantities = new int[] {1, -70000};
      RpcContext.getClientAttachment().setAttachment("x-after", "complex");
      consumer.service().inspect(order, Map.of("a", 1), new long[] {1, 1L << 40});
      consumer.service().note("one-way");
      try {
        consumer.service().fail("boom");
      } catch (RuntimeException expected) {
        // an exception response
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((capture.requestFrames().size() < 5 || capture.responseFrames().size() < 4)
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      String[] names = {"greet", "echo-1mib", "inspect-complex-args", "oneway-note", "fail"};
      List<byte[]> requests = capture.requestFrames();
      for (int i = 0; i < requests.size() && i < names.length; i++) {
        write(dir, "captured-request-" + names[i], requests.get(i),
            "request " + names[i] + " written by the Apache Dubbo 3.3.6 consumer (hessian2)",
            names[i].equals("greet") ? Map.of("x-user", "bob", "x-added", "yes") : null);
      }
      List<byte[]> responses = capture.responseFrames();
      String[] answers = {"greet", "echo-1mib", "inspect", "fail-exception"};
      for (int i = 0; i < responses.size() && i < answers.length; i++) {
        write(dir, "captured-response-" + answers[i], responses.get(i),
            "response to " + answers[i] + " written by the Apache Dubbo 3.3.6 provider", null);
      }
    }
    captureFastjson2(dir);
    System.exit(0); // Dubbo leaves non-daemon threads behind
  }

  /**
   * The same calls in fastjson2 (what a Dubbo 3.2 provider's registration makes a 3.3 consumer
   * write), a generic call in each serialization, and a fastjson2 call relabelled with a
   * serialization no codec here reads.
   */
  private static void captureFastjson2(Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      port = s.getLocalPort();
    }
    try (DubboProvider provider = new DubboProvider("capture", port, "1.0.0", "g1");
        DubboCapture capture = new DubboCapture(port);
        DubboConsumer consumer = new DubboConsumer(capture.port(), "1.0.0", "g1", 10_000,
            "fastjson2");
        DubboGenericConsumer generic = new DubboGenericConsumer(capture.port(), "1.0.0", "g1",
            10_000, "fastjson2");
        DubboGenericConsumer hessian = new DubboGenericConsumer(capture.port(), "1.0.0", "g1",
            10_000, null)) {
      RpcContext.getClientAttachment().setAttachment("x-user", "alice");
      RpcContext.getClientAttachment().setObjectAttachment("x-num", 42);
      RpcContext.getClientAttachment().setAttachment("x-reply", "x-from=provider");
      consumer.service().greet("ann");
      Order order = new Order();
      order.id = "o-1";
      order.items = List.of(new Order.Item("sku-1", 3), new Order.Item("sku-\u4e2d", 1));
      order.tags = Map.of("k", List.of(1, 2L, 3.5, "s"));
      order.blob = new byte[300];
      order.quantities = new int[] {1, -70000};
      RpcContext.getClientAttachment().setAttachment("x-after", "complex");
      consumer.service().inspect(order, Map.of("a", 1), new long[] {1, 1L << 40});
      consumer.service().note("one-way");
      try {
        consumer.service().fail("boom");
      } catch (RuntimeException expected) {
        // an exception response
      }
      generic.greet("gen");
      hessian.greet("gen");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((capture.requestFrames().size() < 6 || capture.responseFrames().size() < 5)
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      String[] names = {"fastjson2-request-greet", "fastjson2-request-inspect-complex-args",
          "fastjson2-request-oneway-note", "fastjson2-request-fail",
          "fastjson2-request-generic-greet", "request-generic-greet"};
      List<byte[]> requests = capture.requestFrames();
      for (int i = 0; i < requests.size() && i < names.length; i++) {
        write(dir, "captured-" + names[i], requests.get(i), names[i].replace('-', ' ')
            + " written by the Apache Dubbo 3.3.6 consumer",
            i == 0 ? Map.of("x-user", "b\u00f6b", "x-added", "yes") : null);
      }
      byte[] kryo = requests.get(0).clone();
      kryo[2] = (byte) ((kryo[2] & 0xe0) | 8);
      write(dir, "unreadable-serialization-kryo", kryo, "the fastjson2 greet relabelled"
          + " serialization 8 (kryo), framed and answered but not read", null);
      List<byte[]> responses = capture.responseFrames();
      String[] answers = {"greet", "inspect", "fail-exception", "generic-greet"};
      for (int i = 0; i < responses.size() && i < answers.length; i++) {
        write(dir, "captured-fastjson2-response-" + answers[i], responses.get(i),
            "fastjson2 response to " + answers[i] + " written by the Apache Dubbo 3.3.6 provider",
            i == 0 ? Map.of("x-proxy", "protean") : null);
      }
    }
  }

  private static void write(Path dir, String name, byte[] frame, String description,
      Map<String, String> mutation) throws Exception {
    ByteBuf in = Unpooled.wrappedBuffer(frame);
    io.protean.abi.codec.Codec codec = new DubboCodecFactory().newCodec();
    Frame f = codec.decode(in);
    codec.decodeResponseMetadata(f); // responses: the attachments, as filters see them
    StringBuilder y = new StringBuilder();
    y.append("description: ").append(description).append('\n');
    if (frame.length > 4096) {
      Files.write(dir.resolve(name + ".bin"), frame);
      y.append("input: ").append(name).append(".bin\n");
    } else {
      y.append("input_hex: ").append(HexFormat.of().formatHex(frame)).append('\n');
    }
    y.append("expect:\n  type: ").append(f.type()).append("\n  request_id: ").append(f.requestId()).append('\n');
    if (f.responseStatus() != null) {
      y.append("  status: ").append(f.responseStatus()).append('\n');
      y.append("  response_class: ").append(codec.classify(f)).append('\n');
    }
    y.append("  metadata:\n");
    new TreeMap<>(f.metadata().toMap()).forEach((k, v) -> y.append("    ").append(quote(k)).append(": ")
        .append(quote(v)).append('\n'));
    if (y.toString().endsWith("  metadata:\n")) {
      y.setLength(y.length() - "  metadata:\n".length());
      y.append("  metadata: {}\n");
    }
    if (f.unreadable() != null) {
      y.append("  unreadable: ").append(quote(f.unreadable())).append('\n');
    }
    if (mutation != null) {
      y.append("mutation:\n");
      new TreeMap<>(mutation).forEach((k, v) -> y.append("  ").append(quote(k)).append(": ").append(quote(v)).append('\n'));
    }
    if (f.type().expectsResponse() || f.type().name().equals("ONEWAY")) {
      y.append("error_reply: ROUTE_NOT_FOUND\n");
    }
    f.release();
    in.release();
    Files.writeString(dir.resolve(name + ".yaml"), y);
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}

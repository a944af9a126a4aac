package io.protean.proxy.codec.dubbo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.RejectedRequestException;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.abi.codec.ResponseClass;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboGenericConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.demo.peers.Order;
import io.protean.proxy.codec.FrameDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.rpc.RpcContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Dubbo codec on fastjson2 (serialization id 23) frames and on generic calls, captured live
 * from the real Apache Dubbo 3.3 consumer (set to fastjson2, as a 3.2 provider makes it) and
 * provider through a recording relay at the start of the class.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Fastjson2CodecTest {
  private static final String SERVICE = "io.protean.demo.peers.DemoService";
  private static final DubboCodec codec = new DubboCodec(DubboLimits.DEFAULT);
  private static List<byte[]> requests;
  private static List<byte[]> responses;
  private static List<byte[]> hessianGeneric;

  @BeforeAll
  static void captureRealTraffic() throws Exception {
    int providerPort = freePort();
    try (DubboProvider provider = new DubboProvider("capture", providerPort, "1.0.0", "g1");
        DubboCapture capture = new DubboCapture(providerPort);
        DubboConsumer consumer = new DubboConsumer(capture.port(), "1.0.0", "g1", 10_000,
            "fastjson2");
        DubboGenericConsumer generic = new DubboGenericConsumer(capture.port(), "1.0.0", "g1",
            10_000, "fastjson2")) {
      RpcContext.getClientAttachment().setAttachment("x-user", "alice");
      RpcContext.getClientAttachment().setObjectAttachment("x-num", 42);
      RpcContext.getClientAttachment().setAttachment("x-reply", "x-from=provider");
      assertThat(consumer.service().greet("ann")).isEqualTo("hello ann from capture");
      consumer.service().echo("\u00e9\u4e2d".repeat(1 << 15));
      Order order = DubboCodecTest.complexOrder();
      RpcContext.getClientAttachment().setAttachment("x-after", "complex");
      consumer.service().inspect(order, Map.of("a", 1, "b", new ArrayList<>(List.of("x"))),
          new long[] {1, 1L << 40});
      consumer.service().note("one-way");
      try {
        consumer.service().fail("boom");
      } catch (RuntimeException expected) {
        // The provider's exception comes back as an exception response.
      }
      assertThat(generic.greet("gen")).isEqualTo("hello gen from capture");
      awaitFrames(capture, 6, 5);
      requests = capture.requestFrames();
      responses = capture.responseFrames();
    }
    int providerPort2 = freePort();
    try (DubboProvider provider = new DubboProvider("capture", providerPort2, "1.0.0", null);
        DubboCapture capture = new DubboCapture(providerPort2);
        DubboGenericConsumer generic = new DubboGenericConsumer(capture.port(), "1.0.0", null,
            10_000, null)) {
      generic.greet("gen");
      awaitFrames(capture, 1, 1);
      hessianGeneric = capture.requestFrames();
    }
  }

  private static void awaitFrames(DubboCapture capture, int requests, int responses)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((capture.requestFrames().size() < requests || capture.responseFrames().size() < responses)
        && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @AfterAll
  static void forget() {
    requests = null;
    responses = null;
    hessianGeneric = null;
  }

  /** The first captured request of {@code method} ("greet$generic": the generic greet). */
  private static byte[] request(String method) {
    boolean generic = method.endsWith("$generic");
    String name = generic ? method.substring(0, method.indexOf('$')) : method;
    for (byte[] f : requests) {
      Frame frame = decodeOne(f);
      try {
        if (name.equals(frame.metadata().get("method"))
            && generic == frame.metadata().contains("generic")) {
          return f;
        }
      } finally {
        frame.release();
      }
    }
    throw new AssertionError("no captured " + method + " request among " + requests.size());
  }

  /** The response to the captured request of {@code method}, by request id. */
  private static byte[] responseTo(String method) {
    long id = Unpooled.wrappedBuffer(request(method)).getLong(4);
    for (byte[] f : responses) {
      if (Unpooled.wrappedBuffer(f).getLong(4) == id) {
        return f;
      }
    }
    throw new AssertionError("no response to " + method);
  }

  private static Frame decodeOne(byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      Frame f = codec.decode(in);
      assertThat(f).as("complete frame").isNotNull();
      assertThat(in.isReadable()).isFalse();
      return f;
    } finally {
      in.release();
    }
  }

  @Test
  void theConsumerReallyWroteFastjson2() {
    assertThat(requests).isNotEmpty();
    for (byte[] f : requests) {
      assertThat(f[2] & 0x1f).as("serialization id").isEqualTo(23);
    }
  }

  @Test
  void decodesServiceMethodVersionGroupAndAttachments() {
    Frame f = decodeOne(request("greet"));
    try {
      assertThat(f.type()).isEqualTo(MessageType.REQUEST);
      assertThat(f.unreadable()).isNull();
      assertThat(f.metadata().toMap())
          .containsEntry("interface", SERVICE).containsEntry("method", "greet")
          .containsEntry("version", "1.0.0").containsEntry("group", "g1")
          .containsEntry("x-user", "alice").containsEntry("x-num", "42")
          .containsKey("dubbo").containsEntry("path", SERVICE);
    } finally {
      f.release();
    }
  }

  @Test
  void skipsComplexAndLargeArgumentsToReachAttachments() {
    Frame f = decodeOne(request("inspect"));
    try {
      assertThat(f.metadata().get("x-after")).isEqualTo("complex");
    } finally {
      f.release();
    }
    byte[] large = request("echo");
    assertThat(large.length).isGreaterThan(1 << 16);
    f = decodeOne(large);
    try {
      assertThat(f.metadata().get("group")).isEqualTo("g1");
    } finally {
      f.release();
    }
  }

  @Test
  void oneWayRequestsAreMarked() {
    Frame f = decodeOne(request("note"));
    assertThat(f.type()).isEqualTo(MessageType.ONEWAY);
    f.release();
  }

  @Test
  void genericCallsAreRoutedByTheirRealMethod() {
    for (byte[] bytes : List.of(request("greet$generic"), hessianGeneric.get(0))) {
      Frame f = decodeOne(bytes);
      try {
        assertThat(f.metadata().toMap()).containsEntry("method", "greet")
            .containsEntry("generic", "true").containsEntry("parameter_types", "java.lang.String")
            .containsEntry("interface", SERVICE);
      } finally {
        f.release();
      }
    }
  }

  @Test
  void responsesCarryAttachmentsAndTheirClass() {
    Frame ok = decodeOne(responseTo("greet"));
    Frame failed = decodeOne(responseTo("fail"));
    try {
      assertThat(ok.responseStatus()).isEqualTo("OK");
      codec.decodeResponseMetadata(ok);
      assertThat(ok.metadata().get("x-from")).isEqualTo("provider");
      assertThat(codec.classify(ok)).isEqualTo(ResponseClass.SUCCESS);
      assertThat(codec.classify(failed)).isEqualTo(ResponseClass.APPLICATION_EXCEPTION);
    } finally {
      ok.release();
      failed.release();
    }
  }

  @Test
  void mutationRewritesOnlyTheAttachments() {
    byte[] greet = request("greet");
    Frame f = decodeOne(greet);
    ByteBuf encoded = codec.encode(f,
        new Mutation().set("x-user", "b\u00f6b \u4e2d").remove("x-num").set("x-new", "v"),
        ByteBufAllocator.DEFAULT);
    try {
      Frame again = codec.decode(encoded.duplicate());
      assertThat(again.metadata().toMap())
          .containsEntry("x-user", "b\u00f6b \u4e2d").containsEntry("x-new", "v")
          .doesNotContainKey("x-num").containsEntry("group", "g1").containsEntry("method", "greet");
      again.release();
    } finally {
      encoded.release();
      f.release();
    }
  }

  @Test
  void responseMutationAddsAttachments() {
    Frame request = decodeOne(request("greet"));
    Frame response = decodeOne(responseTo("greet"));
    codec.decodeResponseMetadata(response);
    ByteBuf encoded = codec.encodeResponse(request, response,
        new Mutation().set("x-proxy", "protean").remove("x-from"), ByteBufAllocator.DEFAULT);
    try {
      Frame again = codec.decode(encoded.duplicate());
      codec.decodeResponseMetadata(again);
      assertThat(again.metadata().toMap()).containsEntry("x-proxy", "protean")
          .doesNotContainKey("x-from");
      again.release();
    } finally {
      encoded.release();
      request.release();
      response.release();
    }
  }

  @Test
  void sameFramesInPiecesAndCoalesced() {
    ByteBuf all = Unpooled.buffer();
    for (byte[] f : requests) {
      all.writeBytes(f);
    }
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(new DubboCodec(DubboLimits.DEFAULT)));
    byte[] bytes = new byte[all.readableBytes()];
    all.readBytes(bytes);
    all.release();
    for (byte b : bytes) {
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
    }
    int frames = 0;
    for (Frame f; (f = ch.readInbound()) != null; frames++) {
      f.release();
    }
    assertThat(frames).isEqualTo(requests.size());
    assertFalse(ch.finish());
  }

  @Test
  void everyTruncationOrBitFlipIsAFrameOrACodecError() {
    byte[] greet = request("greet");
    for (int i = 16; i < greet.length; i++) {
      for (int bit : new int[] {0x01, 0x80}) {
        byte[] bad = greet.clone();
        bad[i] ^= (byte) bit;
        decodeHostile(bad);
      }
      byte[] cut = greet.clone();
      Unpooled.wrappedBuffer(cut).setInt(12, i - 16);
      decodeHostile(java.util.Arrays.copyOf(cut, i));
    }
  }

  private static void decodeHostile(byte[] bytes) {
    try {
      Frame f = codec.decode(Unpooled.wrappedBuffer(bytes));
      if (f != null) {
        f.release();
      }
    } catch (DubboCodecException expected) {
      // Bad framing: the connection closes.
    } catch (RejectedRequestException rejected) {
      // A readable header with a bad body: the request is answered, the connection goes on.
      rejected.request().release();
    }
  }

  @Test
  void anUnknownSerializationIsAnsweredNotClosed() {
    byte[] greet = request("greet").clone();
    greet[2] = (byte) ((greet[2] & 0xe0) | 8); // kryo
    Frame f = decodeOne(greet);
    try {
      assertThat(f.type()).isEqualTo(MessageType.REQUEST);
      assertThat(f.unreadable()).isEqualTo("request serialization kryo (id 8) is not supported;"
          + " this codec reads hessian2 (id 2) and fastjson2 (id 23)");
      ByteBuf reply = codec.errorReply(f, ErrorType.CODEC_FAILURE, "protean: " + f.unreadable(),
          ByteBufAllocator.DEFAULT);
      Frame answer = codec.decode(reply);
      assertThat(answer.responseStatus()).isEqualTo("BAD_REQUEST");
      assertThat(answer.requestId()).isEqualTo(f.requestId());
      answer.release();
      reply.release();
    } finally {
      f.release();
    }
  }

  @Test
  void aHeartbeatIsAnsweredInItsOwnSerialization() {
    byte[] heartbeat = {(byte) 0xda, (byte) 0xbb, (byte) (0x80 | 0x40 | 0x20 | 23), 0, 0, 0, 0, 0,
        0, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0, 1, (byte) 0xaf};
    Frame f = decodeOne(heartbeat);
    assertThat(f.type()).isEqualTo(MessageType.HEARTBEAT);
    ByteBuf reply = codec.heartbeatReply(f, ByteBufAllocator.DEFAULT);
    try {
      assertThat(reply.getByte(2) & 0x1f).isEqualTo(23);
      assertThat(reply.getInt(12)).isEqualTo(5);
      assertThat(reply.getByte(20)).isEqualTo((byte) 0xaf);
    } finally {
      reply.release();
      f.release();
    }
  }

  @Test
  void symbolsOutsideTheDocumentAreRefused() {
    // An attachments map whose key is symbol -1: an external symbol table Dubbo never sets.
    ByteBuf body = Unpooled.buffer();
    for (String s : new String[] {"2.0.2", SERVICE, "", "greet", ""}) {
      int at = body.writerIndex();
      body.writeInt(0);
      JsonbWriter.writeString(body, s);
      body.setInt(at, body.writerIndex() - at - 4);
    }
    body.writeInt(5).writeByte(0xa6).writeByte(0x7f).writeByte(-1).writeByte(0x49).writeByte(0xa5);
    ByteBuf frame = Unpooled.buffer().writeShort(0xdabb).writeByte(0xc0 | 23).writeByte(0)
        .writeLong(1).writeInt(body.readableBytes()).writeBytes(body);
    body.release();
    // The header reads: the request is answered with the reason, the connection goes on.
    assertThatThrownBy(() -> codec.decode(frame)).isInstanceOf(RejectedRequestException.class)
        .hasMessageContaining("external symbol table");
    frame.release();
  }

  @Test
  void aChainOfTypeNamesIsADepthLimitNotAStackOverflow() {
    // An argument of 100000 typed-any prefixes (0x92, type reference 0) before its value.
    ByteBuf body = Unpooled.buffer();
    for (String s : new String[] {"2.0.2", SERVICE, "", "greet", "Ljava/lang/String;"}) {
      int at = body.writerIndex();
      body.writeInt(0);
      JsonbWriter.writeString(body, s);
      body.setInt(at, body.writerIndex() - at - 4);
    }
    body.writeInt(4).writeByte(0xa6).writeByte(0x49).writeByte(0xaf).writeByte(0xa5);
    int at = body.writerIndex();
    body.writeInt(0).writeByte(0xa6).writeByte(0x49);
    for (int i = 0; i < 100_000; i++) {
      body.writeByte(0x92).writeByte(0);
    }
    body.writeByte(0xaf).writeByte(0xa5);
    body.setInt(at, body.writerIndex() - at - 4);
    ByteBuf frame = Unpooled.buffer().writeShort(0xdabb).writeByte(0xc0 | 23).writeByte(0)
        .writeLong(1).writeInt(body.readableBytes()).writeBytes(body);
    body.release();
    // The header reads: the request is answered with the reason, the connection goes on.
    assertThatThrownBy(() -> codec.decode(frame)).isInstanceOf(RejectedRequestException.class)
        .hasMessageContaining("nested deeper than 64");
    frame.release();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }
}

package io.protean.proxy.codec.dubbo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.abi.codec.RejectedRequestException;
import io.protean.abi.codec.ResponseClass;
import io.protean.proxy.codec.FrameDecoder;
import io.protean.proxy.codec.RejectedRequest;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.demo.peers.Order;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.rpc.RpcContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Dubbo codec on frames produced by the real Apache Dubbo 3.3 consumer and provider, captured
 * live through a recording relay at the start of the class.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DubboCodecTest {
  private static final String SERVICE = "io.protean.demo.peers.DemoService";
  private static final DubboCodec codec = new DubboCodec(DubboLimits.DEFAULT);
  private static byte[] greet;
  private static byte[] large;
  private static byte[] inspect;
  private static byte[] oneway;
  private static List<byte[]> requests;
  private static List<byte[]> responses;

  @BeforeAll
  static void captureRealTraffic() throws Exception {
    int providerPort = freePort();
    try (DubboProvider provider = new DubboProvider("capture", providerPort, "1.0.0", "g1");
        DubboCapture capture = new DubboCapture(providerPort);
        DubboConsumer consumer = new DubboConsumer(capture.port(), "1.0.0", "g1", 10_000)) {
      RpcContext.getClientAttachment().setAttachment("x-user", "alice");
      RpcContext.getClientAttachment().setObjectAttachment("x-num", 42);
      consumer.service().greet("ann");
      consumer.service().echo("x".repeat(1 << 20));
      Order order = complexOrder();
      RpcContext.getClientAttachment().setAttachment("x-after", "complex");
      consumer.service().inspect(order, Map.of("a", 1, "b", new ArrayList<>(List.of("x"))),
          new long[] {1, 1L << 40});
      consumer.service().note("one-way");
      try {
        consumer.service().fail("boom");
      } catch (RuntimeException expected) {
        // The provider's exception comes back as an exception response.
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((capture.requestFrames().size() < 5 || capture.responseFrames().size() < 4)
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      requests = capture.requestFrames();
      responses = capture.responseFrames();
    }
    greet = byMethod("greet");
    large = byMethod("echo");
    inspect = byMethod("inspect");
    oneway = byMethod("note");
  }

  /** An argument with every kind of value a serialization meets: nesting, back-references, binary. */
  static Order complexOrder() {
    Order order = new Order();
    order.id = "o-1";
    Order.Item item = new Order.Item("sku-1", 3);
    item.self = item; // a back-reference
    order.items = List.of(item, new Order.Item("sku-\u00e9\u4e2d\ud83d\ude00", 1), item);
    order.tags = Map.of("k", List.of(1, 2L, 3.5, "s"), "nested", Map.of("deep", new int[] {1, 2}));
    order.blob = new byte[3000];
    order.createdMillis = 1_700_000_000_000L;
    order.total = 12.75;
    order.urgent = true;
    order.due = new Date(1_800_000_000_000L);
    order.quantities = new int[] {1, -70000, Integer.MAX_VALUE};
    return order;
  }

  @AfterAll
  static void forget() {
    requests = null;
    responses = null;
  }

  private static byte[] byMethod(String method) {
    for (byte[] f : requests) {
      Frame frame = decodeOne(f);
      try {
        if (method.equals(frame.metadata().get("method"))) {
          return f;
        }
      } finally {
        frame.release();
      }
    }
    throw new AssertionError("no captured " + method + " request among " + requests.size());
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
  void decodesServiceMethodVersionGroupAndAttachments() {
    Frame f = decodeOne(greet);
    try {
      assertThat(f.type()).isEqualTo(MessageType.REQUEST);
      assertThat(f.length()).isEqualTo(greet.length);
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
  void skipsComplexArgumentsToReachAttachments() {
    Frame f = decodeOne(inspect);
    try {
      assertThat(f.metadata().get("method")).isEqualTo("inspect");
      assertThat(f.metadata().get("x-after")).isEqualTo("complex");
    } finally {
      f.release();
    }
  }

  @Test
  void skipsALargePayload() {
    assertThat(large.length).isGreaterThan(1 << 20);
    Frame f = decodeOne(large);
    try {
      assertThat(f.metadata().get("method")).isEqualTo("echo");
      assertThat(f.metadata().get("group")).isEqualTo("g1");
    } finally {
      f.release();
    }
  }

  @Test
  void oneWayRequestsAreMarked() {
    Frame f = decodeOne(oneway);
    try {
      assertThat(f.type()).isEqualTo(MessageType.ONEWAY);
    } finally {
      f.release();
    }
  }

  @Test
  void responsesCarryTheirStatus() {
    assertThat(responses).hasSizeGreaterThanOrEqualTo(4);
    for (byte[] r : responses) {
      Frame f = decodeOne(r);
      try {
        // An exception thrown by the service is still status OK: it travels in the body.
        assertThat(f.type()).isEqualTo(MessageType.RESPONSE);
        assertThat(f.responseStatus()).isEqualTo("OK");
      } finally {
        f.release();
      }
    }
  }

  /** Of the real provider's answers, the one to {@code fail} carries a business exception. */
  @Test
  void classifiesABusinessExceptionApartFromResults() {
    List<ResponseClass> classes = new ArrayList<>();
    for (byte[] r : responses) {
      Frame f = decodeOne(r);
      try {
        classes.add(codec.classify(f));
      } finally {
        f.release();
      }
    }
    assertThat(classes).containsOnly(ResponseClass.SUCCESS, ResponseClass.APPLICATION_EXCEPTION);
    assertThat(classes).filteredOn(c -> c == ResponseClass.APPLICATION_EXCEPTION).hasSize(1);
  }

  /** Error statuses (here in the proxy's own error replies, as a proxy behind a proxy sees them). */
  @Test
  void classifiesErrorStatusesByMeaning() {
    Map<ErrorType, ResponseClass> expected = Map.of(
        ErrorType.TIMEOUT, ResponseClass.SERVER_TIMEOUT, // 31 SERVER_TIMEOUT
        ErrorType.UPSTREAM_RESET, ResponseClass.SERVER_ERROR, // 70 SERVICE_ERROR
        ErrorType.INTERNAL, ResponseClass.SERVER_ERROR, // 80 SERVER_ERROR
        ErrorType.ROUTE_NOT_FOUND, ResponseClass.SERVER_ERROR, // 60 SERVICE_NOT_FOUND
        ErrorType.OVERLOADED, ResponseClass.OVERLOADED, // 100 SERVER_THREADPOOL_EXHAUSTED_ERROR
        ErrorType.CODEC_FAILURE, ResponseClass.REQUEST_REJECTED); // 40 BAD_REQUEST
    Frame request = decodeOne(greet);
    try {
      expected.forEach((error, cls) -> {
        ByteBuf reply = codec.errorReply(request, error, "x", ByteBufAllocator.DEFAULT);
        Frame f = codec.decode(reply);
        reply.release();
        try {
          assertThat(codec.classify(f)).as(error.name()).isEqualTo(cls);
        } finally {
          f.release();
        }
      });
    } finally {
      request.release();
    }
  }

  @Test
  void sameFramesInPiecesAndCoalesced() {
    List<byte[]> all = new ArrayList<>(requests);
    all.addAll(responses);
    List<String> expected = new ArrayList<>();
    for (byte[] bytes : all) {
      Frame f = decodeOne(bytes);
      expected.add(f.type() + " " + f.requestId() + " " + f.metadata());
      f.release();
    }

    EmbeddedChannel oneByte = new EmbeddedChannel(new FrameDecoder(codec));
    for (byte[] bytes : all) {
      // One byte at a time; the two 1 MiB frames in 997-byte pieces (2 M single-byte writes under
      // PARANOID leak tracking would take a minute and prove nothing more).
      int step = bytes.length > 65536 ? 997 : 1;
      for (int i = 0; i < bytes.length; i += step) {
        oneByte.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(step, bytes.length - i)));
      }
    }
    assertThat(drain(oneByte)).isEqualTo(expected);
    assertFalse(oneByte.finish());

    ByteBuf coalesced = Unpooled.buffer();
    all.forEach(coalesced::writeBytes);
    EmbeddedChannel together = new EmbeddedChannel(new FrameDecoder(codec));
    together.writeInbound(coalesced);
    assertThat(drain(together)).isEqualTo(expected);
    assertFalse(together.finish());
  }

  private static List<String> drain(EmbeddedChannel ch) {
    List<String> out = new ArrayList<>();
    for (Frame f; (f = ch.readInbound()) != null; ) {
      out.add(f.type() + " " + f.requestId() + " " + f.metadata());
      f.release();
    }
    return out;
  }

  @Test
  void everyBitFlipIsAFrameOrACodecError() {
    for (byte[] original : List.of(greet, inspect)) {
      for (int i = 0; i < original.length; i++) {
        for (int bit = 0; bit < 8; bit++) {
          byte[] flipped = original.clone();
          flipped[i] ^= (byte) (1 << bit);
          decodeHostile(flipped);
        }
      }
    }
  }

  @Test
  void everyTruncationIsAFrameOrACodecError() {
    for (int cut = 16; cut < inspect.length; cut++) {
      byte[] truncated = Arrays.copyOf(inspect, cut);
      Unpooled.wrappedBuffer(truncated).setInt(12, cut - 16);
      decodeHostile(truncated);
    }
  }

  /** Decoding must end in a frame, a wait for more bytes, or a DubboCodecException: nothing else. */
  /** A codec error, or a rejected request (readable header) whose frame is then released. */
  private static void decodeHostile(byte[] bytes) {
    try {
      decodeAndRelease(bytes);
    } catch (DubboCodecException expected) {
      assertThat(expected.getMessage()).startsWith("dubbo: ");
    } catch (RejectedRequestException rejected) {
      assertThat(rejected.getMessage()).startsWith("dubbo: ");
      rejected.request().release();
    }
  }

  @Test
  void rejectsBadMagicAndOversizeBodiesAtOnce() {
    assertThatThrownBy(() -> decodeAndRelease(new byte[] {'G', 'E', 'T'}))
        .isInstanceOf(DubboCodecException.class).hasMessage("dubbo: expected magic 0xdabb, found 0x4745");
    byte[] header = Arrays.copyOf(greet, 16);
    Unpooled.wrappedBuffer(header).setInt(12, (8 << 20) + 1);
    // A request's header says which request it is and where it ends: it can be answered.
    ByteBuf in = Unpooled.wrappedBuffer(header);
    try {
      assertThatThrownBy(() -> codec.decode(in)).isInstanceOfSatisfying(
          RejectedRequestException.class, e -> {
            assertThat(e).hasMessage("dubbo: body length 8388609 exceeds the limit of 8388608 bytes");
            assertThat(e.discard()).isEqualTo((8 << 20) + 1);
            assertThat(e.request().type()).isEqualTo(MessageType.REQUEST);
            assertThat(e.request().requestId()).isEqualTo(Unpooled.wrappedBuffer(greet).getLong(4));
            e.request().release();
          });
      assertThat(in.readableBytes()).as("the header was consumed").isZero();
    } finally {
      in.release();
    }
    // An upstream connection (no rejections): the codec error closes it.
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(codec));
    assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(header)))
        .isInstanceOf(DecoderException.class).hasCauseInstanceOf(RejectedRequestException.class);
    assertFalse(ch.finish());
    // A response's oversize length cannot be answered.
    byte[] response = Arrays.copyOf(header, 16);
    response[2] = 0x02;
    assertThatThrownBy(() -> decodeAndRelease(response)).isInstanceOf(DubboCodecException.class);
  }

  @Test
  void aDownstreamDecoderAnswersAnOversizeRequestAndDiscardsItsBodyAsItArrives() {
    DubboCodec small = new DubboCodec(DubboLimits.DEFAULT.withMaxBodyBytes(100));
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(small, c -> c));
    ByteBuf oversize = Unpooled.buffer().writeShort(0xdabb).writeByte(0xc2).writeByte(0)
        .writeLong(7).writeInt(1000);
    ch.writeInbound(oversize);
    RejectedRequest r = ch.readInbound();
    assertThat(r.request().requestId()).isEqualTo(7);
    assertThat(r.reason()).contains("body length 1000 exceeds the limit of 100");
    r.request().release();
    for (int i = 0; i < 10; i++) { // the body, one byte at a time, then coalesced
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[i == 9 ? 991 : 1]));
      assertThat((Object) ch.readInbound()).isNull();
    }
    ByteBuf next = Unpooled.buffer().writeShort(0xdabb).writeByte(0xe2).writeByte(0).writeLong(8)
        .writeInt(1).writeByte('N'); // a heartbeat after it decodes as usual
    ch.writeInbound(next);
    Frame f = ch.readInbound();
    assertThat(f.requestId()).isEqualTo(8);
    f.release();
    assertFalse(ch.finish());
  }

  @Test
  void anUndecodableBodyWithAReadableHeaderIsRejectedAndConsumed() {
    byte[] bad = Arrays.copyOf(greet, greet.length);
    bad[16] = (byte) 0xff; // not a hessian2 string where the dubbo version belongs
    ByteBuf in = Unpooled.wrappedBuffer(bad);
    try {
      assertThatThrownBy(() -> codec.decode(in)).isInstanceOfSatisfying(
          RejectedRequestException.class, e -> {
            assertThat(e.discard()).isZero();
            e.request().release();
          });
      assertThat(in.readableBytes()).isZero();
    } finally {
      in.release();
    }
  }

  @Test
  void goAwayIsTheReadonlyEventAndAnIncompleteRequestKeepsItsId() {
    ByteBuf goAway = codec.goAway(Unpooled.buffer().alloc());
    assertThat(ByteBufUtil.hexDump(goAway)).isEqualTo("dabba2000000000000000000000000020152");
    Frame event = codec.decode(goAway);
    assertThat(event.type()).isEqualTo(MessageType.EVENT);
    assertThat(event.metadata().get("event")).isEqualTo("R");
    event.release();
    goAway.release();
    ByteBuf half = Unpooled.wrappedBuffer(Arrays.copyOf(greet, 20));
    Frame incomplete = codec.incompleteRequest(half);
    assertThat(incomplete.requestId()).isEqualTo(half.getLong(4));
    assertThat(incomplete.type()).isEqualTo(MessageType.REQUEST);
    incomplete.release();
    assertThat(codec.incompleteRequest(half.slice(0, 15))).isNull();
    half.release();
  }

  /** Decodes once and releases whatever came out; exceptions propagate. */
  private static void decodeAndRelease(byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      Frame f = codec.decode(in);
      if (f != null) {
        f.release();
      }
    } finally {
      in.release();
    }
  }

  @Test
  void deepNestingIsRefused() {
    ByteBuf body = Unpooled.buffer();
    for (String s : new String[] {"2.0.2", SERVICE, "1.0.0", "greet", "Ljava/lang/Object;"}) {
      Hessian2Writer.writeString(body, s);
    }
    for (int i = 0; i < 100; i++) {
      body.writeByte('W'); // untyped variable-length list, never closed
    }
    ByteBuf frame = Unpooled.buffer().writeShort(0xdabb).writeByte(0xc2).writeByte(0).writeLong(1)
        .writeInt(body.readableBytes()).writeBytes(body);
    body.release();
    try {
      // The frame is complete: only this request is refused, the connection carries on.
      assertThatThrownBy(() -> codec.decode(frame)).isInstanceOf(RejectedRequestException.class)
          .hasMessageContaining("nested deeper than 64")
          .satisfies(e -> ((RejectedRequestException) e).request().release());
    } finally {
      frame.release();
    }
  }

  @Test
  void aRefusalByPolicyIsABadRequest() {
    Frame request = decodeOne(greet);
    ByteBuf reply = codec.errorReply(request, ErrorType.PERMISSION_DENIED, "denied", ByteBufAllocator.DEFAULT);
    try {
      Frame r = codec.decode(reply);
      assertThat(r.responseStatus()).isEqualTo("BAD_REQUEST");
      r.release();
    } finally {
      reply.release();
      request.release();
    }
  }

  @Test
  void errorReplyIsAResponseWithTheStatusAndMessage() {
    Frame request = decodeOne(greet);
    ByteBuf reply = codec.errorReply(request, ErrorType.ROUTE_NOT_FOUND, "no route \u00e9", ByteBufAllocator.DEFAULT);
    try {
      Frame r = codec.decode(reply);
      assertThat(r.type()).isEqualTo(MessageType.ERROR);
      assertThat(r.responseStatus()).isEqualTo("SERVICE_NOT_FOUND");
      assertThat(r.requestId()).isEqualTo(request.requestId());
      ByteBuf c = r.content();
      byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(c);
      assertThat(new Hessian2Reader(bytes, 16, bytes.length, DubboLimits.DEFAULT)
          .readString("message", 100)).isEqualTo("no route \u00e9");
      r.release();
    } finally {
      reply.release();
    }
    Frame note = decodeOne(oneway);
    assertThat(codec.errorReply(note, ErrorType.TIMEOUT, "x", ByteBufAllocator.DEFAULT)).isNull();
    note.release();
    request.release();
  }

  @Test
  void longMessagesAreChunkedLikeHessianDoes() {
    String message = "\u00e9".repeat(70_000) + "\ud83d\ude00";
    ByteBuf out = Unpooled.buffer();
    Hessian2Writer.writeString(out, message);
    byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(out);
    assertThat(new Hessian2Reader(bytes, 0, bytes.length, DubboLimits.DEFAULT)
        .readString("message", Integer.MAX_VALUE)).isEqualTo(message);
    out.release();
  }

  @Test
  void heartbeatIsRecognisedAndAnswered() {
    ByteBuf hb = Unpooled.buffer().writeShort(0xdabb).writeByte(0xe2).writeByte(0).writeLong(9)
        .writeInt(1).writeByte('N');
    Frame f = codec.decode(hb);
    hb.release();
    assertThat(f.type()).isEqualTo(MessageType.HEARTBEAT);
    ByteBuf reply = codec.heartbeatReply(f, ByteBufAllocator.DEFAULT);
    f.release();
    Frame r = codec.decode(reply);
    reply.release();
    assertThat(r.type()).isEqualTo(MessageType.RESPONSE);
    assertThat(r.requestId()).isEqualTo(9);
    assertThat(r.metadata().get("event")).isEqualTo("true");
    r.release();
  }

  @Test
  void readOnlyEventIsAnEvent() {
    ByteBuf ev = Unpooled.buffer().writeShort(0xdabb).writeByte(0xa2).writeByte(0).writeLong(3)
        .writeInt(2).writeByte(0x01).writeByte('R');
    Frame f = codec.decode(ev);
    ev.release();
    assertThat(f.type()).isEqualTo(MessageType.EVENT);
    assertThat(f.metadata().get("event")).isEqualTo("R");
    f.release();
  }

  @Test
  void mutationRewritesOnlyTheAttachments() {
    Frame f = decodeOne(greet);
    ByteBuf encoded = codec.encode(f,
        new Mutation().set("x-user", "bob").remove("x-num").set("x-new", "v"), ByteBufAllocator.DEFAULT);
    try {
      Frame again = codec.decode(encoded.duplicate());
      assertThat(again.metadata().toMap())
          .containsEntry("x-user", "bob").containsEntry("x-new", "v").doesNotContainKey("x-num")
          .containsEntry("group", "g1").containsEntry("method", "greet");
      assertThat(again.requestId()).isEqualTo(f.requestId());
      again.release();
      // Everything before the attachments map is byte-identical.
      int prefix = Math.min(greet.length, encoded.readableBytes()) - 200;
      assertThat(ByteBufUtilSlice.bytes(encoded, 16, prefix - 16))
          .isEqualTo(Arrays.copyOfRange(greet, 16, prefix));
    } finally {
      encoded.release();
      f.release();
    }
  }

  @Test
  void patchesTheRequestIdInPlace() {
    Frame f = decodeOne(greet);
    f.writeRequestId(f.content(), 0x0102030405060708L);
    assertThat(f.content().getLong(f.content().readerIndex() + 4)).isEqualTo(0x0102030405060708L);
    f.release();
  }

  private static final class ByteBufUtilSlice {
    static byte[] bytes(ByteBuf b, int from, int len) {
      byte[] out = new byte[len];
      b.getBytes(b.readerIndex() + from, out);
      return out;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }
}

package io.protean.proxy.codec.thrift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.RejectedRequestException;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.abi.codec.ProtocolMatch;
import io.protean.abi.codec.ResponseClass;
import io.protean.proxy.codec.FrameDecoder;
import io.protean.proxy.codec.thrift.gen.Echo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TMemoryBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Thrift codec on bytes written and read by libthrift 0.20 itself (generated clients and
 * processor over TMemoryBuffer, TFramedTransport, TBinaryProtocol, TCompactProtocol and
 * TMultiplexedProtocol), for every transport and protocol combination.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ThriftCodecTest {
  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

  private static ThriftCodec codec() {
    return new ThriftCodec(ThriftLimits.DEFAULT, null, null, Set.of());
  }

  /** Decodes exactly one frame from {@code bytes} with a fresh codec; the caller releases it. */
  private static Frame decodeOne(byte[] bytes) {
    return decodeOne(codec(), bytes);
  }

  /** Decodes exactly one frame from {@code bytes}; the caller releases it. */
  static Frame decodeOne(ThriftCodec codec, byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      Frame frame = codec.decode(in);
      assertThat(frame).as("a complete frame").isNotNull();
      assertThat(in.isReadable()).as("bytes left over").isFalse();
      return frame;
    } finally {
      in.release();
    }
  }

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void decodesACall(ThriftWire wire) throws Exception {
    byte[] bytes = wire.call(c -> c.send_add(2, 3));
    Frame frame = decodeOne(bytes);
    try {
      assertThat(frame.type()).isEqualTo(MessageType.REQUEST);
      // A generated client's first call has seq id 1.
      assertThat(frame.requestId()).isEqualTo(1);
      assertThat(frame.metadata().toMap()).containsExactly(Map.entry("method", "add"),
          Map.entry("seq_id", "1"), Map.entry("message_type", "call"));
      assertThat(frame.responseStatus()).isNull();
      assertThat(frame.length()).isEqualTo(bytes.length);
      assertThat(frame.idWidth()).isEqualTo(wire.compact ? 0 : 4);
      assertThat(frame.hasRewritableId()).isTrue();
    } finally {
      frame.release();
    }
  }

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void decodesRepliesExceptionsAndOneway(ThriftWire wire) throws Exception {
    assertDecoded(wire.answer(wire.call(c -> c.send_echo("hi"))), MessageType.RESPONSE, "OK",
        "echo", "reply");
    // A declared exception travels in a REPLY's result struct.
    assertDecoded(wire.answer(wire.call(c -> c.send_fail(7))), MessageType.RESPONSE, "OK", "fail",
        "reply");
    // An undeclared one becomes a TApplicationException in an EXCEPTION message.
    assertDecoded(wire.answer(wire.call(c -> c.send_fail(-1))), MessageType.ERROR, "EXCEPTION",
        "fail", "exception");
    assertDecoded(wire.call(c -> c.send_note("n")), MessageType.ONEWAY, null, "note", "oneway");
  }

  private static void assertDecoded(byte[] bytes, MessageType type, String status, String method,
      String messageType) {
    Frame frame = decodeOne(bytes);
    try {
      assertThat(frame.type()).isEqualTo(type);
      assertThat(frame.responseStatus()).isEqualTo(status);
      assertThat(frame.metadata().get("method")).isEqualTo(method);
      assertThat(frame.metadata().get("message_type")).isEqualTo(messageType);
      assertThat(frame.metadata().get("seq_id")).isEqualTo("1");
    } finally {
      frame.release();
    }
  }

  /** Libthrift's own replies, classified for retries: a declared exception is never a failure. */
  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void classifiesResponsesForRetries(ThriftWire wire) throws Exception {
    assertClass(wire.answer(wire.call(c -> c.send_echo("hi"))), ResponseClass.SUCCESS);
    assertClass(wire.answer(wire.call(c -> c.send_fail(7))), ResponseClass.APPLICATION_EXCEPTION);
    // An undeclared exception: libthrift's processor answers INTERNAL_ERROR.
    assertClass(wire.answer(wire.call(c -> c.send_fail(-1))), ResponseClass.SERVER_ERROR);
    // fbthrift's LOADSHEDDING (11) and TIMEOUT (12); Apache libthrift stops at 10.
    assertClass(exception(wire, 11), ResponseClass.OVERLOADED);
    assertClass(exception(wire, 12), ResponseClass.SERVER_TIMEOUT);
    assertClass(exception(wire, TApplicationException.UNKNOWN_METHOD),
        ResponseClass.REQUEST_REJECTED);
    assertClass(exception(wire, TApplicationException.PROTOCOL_ERROR),
        ResponseClass.REQUEST_REJECTED);
  }

  /** An EXCEPTION message as libthrift's TApplicationException.write lays it out. */
  private static byte[] exception(ThriftWire wire, int type) throws Exception {
    TMemoryBuffer out = new TMemoryBuffer(64);
    TProtocol p = wire.protocol(out);
    p.writeMessageBegin(new TMessage("echo", TMessageType.EXCEPTION, 1));
    new TApplicationException(type, "refused").write(p);
    p.writeMessageEnd();
    p.getTransport().flush();
    return Arrays.copyOf(out.getArray(), out.length());
  }

  private static void assertClass(byte[] response, ResponseClass expected) {
    ThriftCodec codec = codec();
    Frame frame = decodeOne(codec, response);
    try {
      assertThat(codec.classify(frame)).isEqualTo(expected);
    } finally {
      frame.release();
    }
  }

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void multiplexedNamesGiveServiceAndMethod(ThriftWire wire) throws Exception {
    Frame frame = decodeOne(wire.call("Calculator", c -> c.send_add(1, 1)));
    try {
      assertThat(frame.metadata().toMap()).containsExactly(Map.entry("service", "Calculator"),
          Map.entry("method", "add"), Map.entry("seq_id", "1"), Map.entry("message_type", "call"));
    } finally {
      frame.release();
    }
  }

  /**
   * A framed call whose arguments do not parse (here: a string running past the frame, which
   * makes libthrift's nonblocking server close the connection) is rejected with its header's
   * seq id and method, and the stream carries on at the next frame.
   */
  @Test
  void aFramedCallWithMalformedArgumentsIsRejectedAndTheStreamCarriesOn() throws Exception {
    byte[] good = ThriftWire.BINARY_FRAMED.call(c -> c.send_echo("fine"));
    byte[] bad = good.clone();
    ByteBuf b = Unpooled.wrappedBuffer(bad);
    int stringLength = bad.length - 1 - 4 - "fine".length(); // the string's length field
    b.setInt(stringLength, 1_000_000);
    ThriftCodec codec = codec();
    ByteBuf in = Unpooled.wrappedBuffer(bad, good);
    try {
      assertThatThrownBy(() -> codec.decode(in)).isInstanceOfSatisfying(
          RejectedRequestException.class, e -> {
            assertThat(e).hasMessageStartingWith("thrift: truncated a string")
                .hasMessageEndingWith("(the arguments of a call of echo)");
            assertThat(e.discard()).isZero();
            assertThat(e.request().metadata().get("method")).isEqualTo("echo");
            ByteBuf reply = codec.errorReply(e.request(), ErrorType.CODEC_FAILURE, "no",
                Unpooled.buffer().alloc());
            assertThat(reply.readableBytes()).isPositive();
            reply.release();
            e.request().release();
          });
      Frame next = codec.decode(in);
      assertThat(next.metadata().get("method")).isEqualTo("echo");
      next.release();
      assertThat(in.readableBytes()).isZero();
    } finally {
      in.release();
    }
    byte[] trailing = ThriftWire.BINARY_FRAMED.call(c -> c.send_echo("fine"));
    byte[] longer = Arrays.copyOf(trailing, trailing.length + 2);
    Unpooled.wrappedBuffer(longer).setInt(0, trailing.length - 4 + 2);
    ByteBuf t = Unpooled.wrappedBuffer(longer);
    try {
      assertThatThrownBy(() -> codec().decode(t)).isInstanceOf(RejectedRequestException.class)
          .hasMessageContaining("2 bytes left over")
          .satisfies(e -> ((RejectedRequestException) e).request().release());
    } finally {
      t.release();
    }
  }

  /** Calls, replies and a struct-heavy call, in one stream. */
  private static byte[] stream(ThriftWire wire) throws Exception {
    ByteArrayOutputStream s = new ByteArrayOutputStream();
    s.write(wire.call(c -> c.send_roundTrip(ThriftWire.payload(5))));
    s.write(wire.call(c -> c.send_echo("two")));
    s.write(wire.call("Svc", c -> c.send_note("three")));
    s.write(wire.answer(wire.call(c -> c.send_roundTrip(ThriftWire.payload(3)))));
    s.write(wire.answer(wire.call(c -> c.send_fail(-2))));
    return s.toByteArray();
  }

  private static final List<String> STREAM = List.of("REQUEST roundTrip", "REQUEST echo",
      "ONEWAY note", "RESPONSE roundTrip", "ERROR fail");

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void sameFramesOneByteAtATimeAndCoalesced(ThriftWire wire) throws Exception {
    byte[] bytes = stream(wire);
    EmbeddedChannel oneByte = new EmbeddedChannel(new FrameDecoder(codec()));
    for (int i = 0; i < bytes.length; i++) {
      oneByte.writeInbound(Unpooled.wrappedBuffer(bytes, i, 1));
    }
    assertThat(drain(oneByte, bytes.length)).isEqualTo(STREAM);
    assertFalse(oneByte.finish());

    EmbeddedChannel together = new EmbeddedChannel(new FrameDecoder(codec()));
    together.writeInbound(Unpooled.wrappedBuffer(bytes));
    assertThat(drain(together, bytes.length)).isEqualTo(STREAM);
    assertFalse(together.finish());
  }

  /** The frames read from {@code ch}, released; their lengths must add up to {@code total}. */
  private static List<String> drain(EmbeddedChannel ch, int total) {
    List<String> out = new ArrayList<>();
    int bytes = 0;
    Frame f;
    while ((f = ch.readInbound()) != null) {
      out.add(f.type() + " " + f.metadata().get("method"));
      bytes += f.length();
      f.release();
    }
    assertThat(bytes).isEqualTo(total);
    return out;
  }

  @ParameterizedTest
  @EnumSource(value = ThriftWire.class, names = {"BINARY_UNFRAMED", "COMPACT_UNFRAMED"})
  void unframedMessagesEndWhereTheirStructEnds(ThriftWire wire) throws Exception {
    byte[] heavy = wire.call(c -> c.send_roundTrip(ThriftWire.payload(20)));
    byte[] next = wire.call(c -> c.send_add(4, 5));
    ThriftCodec codec = codec();
    ByteBuf in = Unpooled.wrappedBuffer(heavy, next);
    // Every prefix of the struct-heavy call is incomplete, not an error.
    for (int n = 0; n < heavy.length; n++) {
      assertThat(codec.decode(in.slice(0, n))).as("prefix of %d bytes", n).isNull();
    }
    Frame first = codec.decode(in);
    Frame second = codec.decode(in);
    try {
      assertThat(first.length()).isEqualTo(heavy.length);
      assertThat(first.metadata().get("method")).isEqualTo("roundTrip");
      assertThat(second.metadata().get("method")).isEqualTo("add");
      assertThat(in.isReadable()).isFalse();
    } finally {
      first.release();
      second.release();
      in.release();
    }
  }

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void everyBitFlipIsAFrameOrACodecError(ThriftWire wire) throws Exception {
    byte[] original = wire.call(c -> c.send_roundTrip(ThriftWire.payload(4)));
    for (int i = 0; i < original.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] bytes = original.clone();
        bytes[i] ^= (byte) (1 << bit);
        decodeHostile(bytes);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void everyTruncationIsIncompleteOrACodecError(ThriftWire wire) throws Exception {
    byte[] original = wire.answer(wire.call(c -> c.send_roundTrip(ThriftWire.payload(4))));
    for (int n = 0; n < original.length; n++) {
      decodeHostile(Arrays.copyOf(original, n));
    }
  }

  /**
   * Decodes until the codec wants more bytes; only a ThriftCodecException may escape, or a
   * rejected call (its header readable, its arguments not), after which decoding carries on.
   */
  private static void decodeHostile(byte[] bytes) {
    ThriftCodec codec = codec();
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      while (in.isReadable()) {
        Frame f;
        try {
          f = codec.decode(in);
        } catch (RejectedRequestException rejected) {
          assertThat(rejected.getMessage()).startsWith("thrift: ");
          assertThat(rejected.discard()).isZero();
          rejected.request().release();
          continue;
        }
        if (f == null) {
          break;
        }
        f.release();
      }
    } catch (ThriftCodecException expected) {
      assertThat(expected.getMessage()).startsWith("thrift: ");
    } finally {
      in.release();
    }
  }

  @Test
  void oversizeFramesAreRefusedFromTheLengthAlone() {
    ThriftCodec codec = new ThriftCodec(ThriftLimits.DEFAULT.withMaxFrameBytes(1000), null, null, Set.of());
    ByteBuf in = Unpooled.buffer().writeInt(1001);
    try {
      assertThatThrownBy(() -> codec.decode(in)).isInstanceOf(ThriftCodecException.class)
          .hasMessage("thrift: expected a frame length between 1 and 1000, found 1001 at offset 0");
    } finally {
      in.release();
    }
  }

  @Test
  void unframedMessagesLongerThanTheLimitAreRefused() throws Exception {
    byte[] bytes = ThriftWire.BINARY_UNFRAMED.call(c -> c.send_echo("x".repeat(5000)));
    ThriftCodec codec = new ThriftCodec(ThriftLimits.DEFAULT.withMaxFrameBytes(1000), null, null, Set.of());
    // The declared string length alone carries the message past the limit: no need to buffer it.
    ByteBuf in = Unpooled.wrappedBuffer(bytes, 0, 40);
    try {
      assertThatThrownBy(() -> codec.decode(in)).isInstanceOf(ThriftCodecException.class)
          .hasMessageContaining("unframed message longer than the limit of 1000 bytes");
    } finally {
      in.release();
    }
  }

  @ParameterizedTest
  @EnumSource(value = ThriftWire.class, names = {"BINARY_UNFRAMED", "COMPACT_UNFRAMED"})
  void skipperLimitsNestingContainersAndStrings(ThriftWire wire) throws Exception {
    byte[] deep = wire.call(c -> c.send_roundTrip(ThriftWire.payload(70)));
    assertThatThrownBy(() -> decodeOne(deep)).isInstanceOf(ThriftCodecException.class)
        .hasMessageContaining("nesting deeper than the limit of 64");
    byte[] shallow = wire.call(c -> c.send_roundTrip(ThriftWire.payload(2)));
    ThriftCodec fewElements = new ThriftCodec(new ThriftLimits(1 << 20, 1 << 20, 2, 64), null, null, Set.of());
    assertThatThrownBy(() -> decodeOne(fewElements, shallow))
        .isInstanceOf(ThriftCodecException.class)
        .hasMessageContaining("expected a container size between 0 and 2, found 3");
    ThriftCodec shortStrings = new ThriftCodec(new ThriftLimits(1 << 20, 10, 100, 64), null, null, Set.of());
    assertThatThrownBy(() -> decodeOne(shortStrings, shallow))
        .isInstanceOf(ThriftCodecException.class)
        .hasMessageContaining("length between 0 and 10, found 12"); // "text \u00e9 text" in UTF-8
  }

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void errorReplyIsATApplicationExceptionLibthriftReads(ThriftWire wire) throws Exception {
    TMemoryBuffer sent = new TMemoryBuffer(64);
    Echo.Client client = new Echo.Client(null, wire.protocol(sent));
    client.send_echo("a");
    client.send_echo("b"); // seq id 2
    byte[] bytes = Arrays.copyOf(sent.getArray(), sent.length());
    ThriftCodec codec = codec();
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    Frame first = codec.decode(in);
    Frame second = codec.decode(in);
    in.release();
    first.release();
    ByteBuf reply = codec.errorReply(second, ErrorType.ROUTE_NOT_FOUND, "protean: no route", ALLOC);
    second.release();
    byte[] replyBytes = new byte[reply.readableBytes()];
    reply.readBytes(replyBytes).release();

    // The generated client itself raises it, with the right type and message.
    Echo.Client reader = new Echo.Client(wire.reader(replyBytes), wire.protocol(new TMemoryBuffer(8)));
    reader.send_echo("one");
    reader.send_echo("two"); // the client now expects seq id 2
    assertThatThrownBy(reader::recv_echo).isInstanceOf(TApplicationException.class)
        .hasMessage("protean: no route")
        .extracting(t -> ((TApplicationException) t).getType())
        .isEqualTo(TApplicationException.UNKNOWN_METHOD);

    TProtocol p = wire.reader(replyBytes);
    TMessage message = p.readMessageBegin();
    assertThat(message.type).isEqualTo(TMessageType.EXCEPTION);
    assertThat(message.name).isEqualTo("echo");
    assertThat(message.seqid).isEqualTo(2);
  }

  @Test
  void errorTypesMapToApplicationExceptionTypes() throws Exception {
    Map<ErrorType, Integer> expected = Map.ofEntries(
        Map.entry(ErrorType.ROUTE_NOT_FOUND, TApplicationException.UNKNOWN_METHOD),
        Map.entry(ErrorType.CLUSTER_NOT_FOUND, TApplicationException.UNKNOWN_METHOD),
        Map.entry(ErrorType.CODEC_FAILURE, TApplicationException.PROTOCOL_ERROR),
        Map.entry(ErrorType.TIMEOUT, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.UPSTREAM_CONNECT_FAILURE, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.UPSTREAM_RESET, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.NO_HEALTHY_UPSTREAM, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.OVERLOADED, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.RATE_LIMITED, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.LOCAL_REPLY, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.INTERNAL, TApplicationException.INTERNAL_ERROR),
        Map.entry(ErrorType.PERMISSION_DENIED, TApplicationException.INTERNAL_ERROR));
    assertThat(expected.keySet()).containsExactlyInAnyOrder(ErrorType.values());
    ThriftWire wire = ThriftWire.COMPACT_FRAMED;
    ThriftCodec codec = codec();
    Frame request = decodeOne(codec, wire.call("Svc", c -> c.send_add(1, 2)));
    try {
      for (Map.Entry<ErrorType, Integer> e : expected.entrySet()) {
        ByteBuf reply = codec.errorReply(request, e.getKey(), "m " + e.getKey(), ALLOC);
        byte[] bytes = new byte[reply.readableBytes()];
        reply.readBytes(bytes).release();
        TProtocol p = wire.reader(bytes);
        // A multiplexed server answers with the bare method name.
        assertThat(p.readMessageBegin().name).isEqualTo("add");
        TApplicationException x = TApplicationException.readFrom(p);
        assertThat(x.getType()).as(e.getKey().name()).isEqualTo(e.getValue());
        assertThat(x.getMessage()).isEqualTo("m " + e.getKey());
      }
    } finally {
      request.release();
    }
  }

  @Test
  void errorReplyUsesTheFrameIdNotTheRewrittenBytes() throws Exception {
    ThriftWire wire = ThriftWire.BINARY_FRAMED;
    ThriftCodec codec = codec();
    Frame request = decodeOne(codec, wire.call(c -> c.send_echo("x")));
    try {
      request.writeRequestId(request.content(), 999);
      ByteBuf reply = codec.errorReply(request, ErrorType.TIMEOUT, "late", ALLOC);
      byte[] bytes = new byte[reply.readableBytes()];
      reply.readBytes(bytes).release();
      assertThat(wire.reader(bytes).readMessageBegin().seqid).isEqualTo(1);
    } finally {
      request.release();
    }
  }

  @ParameterizedTest
  @EnumSource(ThriftWire.class)
  void onewayGetsNoErrorReply(ThriftWire wire) throws Exception {
    ThriftCodec codec = codec();
    Frame oneway = decodeOne(codec, wire.call(c -> c.send_note("n")));
    try {
      assertThat(codec.errorReply(oneway, ErrorType.TIMEOUT, "x", ALLOC)).isNull();
    } finally {
      oneway.release();
    }
  }

  @ParameterizedTest
  @EnumSource(value = ThriftWire.class, names = {"BINARY_FRAMED", "BINARY_UNFRAMED", "OLD_BINARY_FRAMED"})
  void idOffsetPointsAtTheSeqId(ThriftWire wire) throws Exception {
    for (String service : Arrays.asList(null, "Svc")) {
      Frame frame = decodeOne(wire.call(service, c -> c.send_echo("patched")));
      try {
        frame.writeRequestId(frame.content(), 0x12345678);
        byte[] bytes = new byte[frame.length()];
        frame.content().getBytes(frame.content().readerIndex(), bytes);
        TMessage message = wire.reader(bytes).readMessageBegin();
        assertThat(message.seqid).isEqualTo(0x12345678);
        assertThat(message.name).isEqualTo(service == null ? "echo" : "Svc:echo");
      } finally {
        frame.release();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = ThriftWire.class, names = {"COMPACT_FRAMED", "COMPACT_UNFRAMED"})
  void compactSeqIdsAreRewrittenByReEncodingTheHeader(ThriftWire wire) throws Exception {
    byte[] original = wire.call("Svc", c -> c.send_echo("rewritten"));
    // Ids whose varints take 1 to 5 bytes, as the upstream side hands them out and back.
    for (long id : new long[] {0, 1, 127, 128, 16_384, 0x12345678, Integer.MAX_VALUE}) {
      Frame frame = decodeOne(original);
      try {
        assertThat(frame.hasRewritableId()).isTrue();
        ByteBuf upstream = frame.withRequestId(frame.content().retain(), id);
        byte[] bytes = new byte[upstream.readableBytes()];
        upstream.getBytes(upstream.readerIndex(), bytes);
        TProtocol p = wire.reader(bytes);
        TMessage message = p.readMessageBegin();
        assertThat(message.seqid).isEqualTo((int) id);
        assertThat(message.name).isEqualTo("Svc:echo");
        // The body is intact (and a framed length prefix fits it): libthrift reads the arguments.
        Echo.echo_args args = new Echo.echo_args();
        args.read(p);
        assertThat(args.getText()).isEqualTo("rewritten");
        upstream.release();
        // And back, as a frame decoded from the upstream's bytes: the client's id restores them.
        Frame again = decodeOne(bytes);
        assertThat(again.length()).isEqualTo(bytes.length);
        assertThat(again.requestId()).isEqualTo(id);
        ByteBuf restored = again.withRequestId(again.content(), frame.requestId());
        byte[] back = new byte[restored.readableBytes()];
        restored.readBytes(back).release();
        assertThat(back).isEqualTo(original);
      } finally {
        frame.release();
      }
    }
  }

  @Test
  void aConnectionKeepsTheTransportAndProtocolOfItsFirstMessage() throws Exception {
    ThriftCodec codec = codec();
    decodeOne(codec, ThriftWire.BINARY_FRAMED.call(c -> c.send_echo("x"))).release();
    assertThatThrownBy(() -> decodeOne(codec, ThriftWire.COMPACT_FRAMED.call(c -> c.send_echo("x"))))
        .isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected binary protocol version 0x8001, found 0x8221 at offset 4");
  }

  @Test
  void configuredTransportAndProtocolAreEnforced() throws Exception {
    byte[] compactFramed = ThriftWire.COMPACT_FRAMED.call(c -> c.send_echo("x"));
    assertThatThrownBy(() -> decodeOne(new ThriftCodec(ThriftLimits.DEFAULT, null, "binary", Set.of()),
        compactFramed)).isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected the binary protocol, found the compact protocol at offset 4");
    assertThatThrownBy(() -> decodeOne(new ThriftCodec(ThriftLimits.DEFAULT,
        ThriftTransport.UNFRAMED, null, Set.of()), compactFramed)).isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected an unframed binary (0x80) or compact (0x82) message, found"
            + " 0x00 at offset 0");
    byte[] unframed = ThriftWire.BINARY_UNFRAMED.call(c -> c.send_echo("x"));
    assertThatThrownBy(() -> decodeOne(new ThriftCodec(ThriftLimits.DEFAULT,
        ThriftTransport.FRAMED, null, Set.of()), unframed)).isInstanceOf(ThriftCodecException.class)
        .hasMessageContaining("expected a framed message (a 4-byte length), found 0x80 at offset 0");
  }

  @Test
  void garbageIsAPreciseError() {
    byte[] http = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> decodeOne(http)).isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected a frame length between 1 and 16384000, found 1195725856 at"
            + " offset 0");
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(codec()));
    assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(http)))
        .isInstanceOf(DecoderException.class).hasCauseInstanceOf(ThriftCodecException.class);
    assertFalse(ch.finish());
  }

  @Test
  void mutationAndHeartbeatAreRefusedWithTheReason() throws Exception {
    ThriftCodec codec = codec();
    Frame frame = decodeOne(codec, ThriftWire.BINARY_FRAMED.call(c -> c.send_echo("x")));
    try {
      assertThatThrownBy(() -> codec.encode(frame, new Mutation().set("x-lane", "green"), ALLOC))
          .isInstanceOf(ThriftCodecException.class)
          .hasMessageContaining("binary and compact Thrift messages carry no header map to change"
              + " (THeader's info headers do)");
      ByteBuf copy = codec.encode(frame, new Mutation(), ALLOC);
      assertThat(copy).isEqualTo(frame.content());
      copy.release();
      assertThatThrownBy(() -> codec.heartbeatReply(frame, ALLOC))
          .isInstanceOf(CodecException.class).hasMessageContaining("Thrift has no heartbeat");
    } finally {
      frame.release();
    }
  }

  @ParameterizedTest
  @EnumSource(value = ThriftWire.class, names = "OLD_BINARY_FRAMED", mode = EnumSource.Mode.EXCLUDE)
  void factoryRecognisesThrift(ThriftWire wire) throws Exception {
    ThriftCodecFactory factory = new ThriftCodecFactory();
    byte[] bytes = wire.call(c -> c.send_echo("x"));
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    assertThat(factory.match(in)).isEqualTo(ProtocolMatch.MATCH);
    assertThat(factory.match(in.slice(0, 1))).isEqualTo(ProtocolMatch.NEED_MORE_DATA);
    assertThat(in.readerIndex()).isZero();
    in.release();
    assertThat(factory.match(Unpooled.wrappedBuffer(new byte[] {(byte) 0xda, (byte) 0xbb})))
        .isEqualTo(ProtocolMatch.NO_MATCH);
    assertThat(factory.match(Unpooled.wrappedBuffer("GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo(ProtocolMatch.NO_MATCH);
    assertThat(factory.orderedResponses()).isTrue();
  }

  @Test
  void providerReadsItsOptions() {
    ThriftCodecProvider provider = new ThriftCodecProvider();
    assertThat(provider.name()).isEqualTo("thrift");
    assertThat(provider.create(Map.of()).protocol()).isEqualTo("thrift");
    assertThat(provider.create(Map.of("max_frame_size", 1024, "transport", "framed",
        "protocol", "binary"))).isInstanceOf(ThriftCodecFactory.class);
    assertThat(provider.create(Map.of("transport", "header", "oneway_methods",
        List.of("note", "Calc:log"))).encodeRefusal(MessageType.RESPONSE)).isNull();
    assertThat(provider.create(Map.of()).encodeRefusal(MessageType.RESPONSE))
        .contains("transport: header");
    assertThatThrownBy(() -> provider.create(Map.of("oneway_methods", "note")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("oneway_methods: expected a list of method names, found 'note'");
    assertThatThrownBy(() -> provider.create(Map.of("oneway_methods", List.of("note", ""))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("oneway_methods[1]: expected a method name (method or Service:method), found ''");
    assertThatThrownBy(() -> provider.create(Map.of("protocol", "json")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("protocol: expected one of auto, binary, compact, found 'json'");
    assertThatThrownBy(() -> provider.create(Map.of("max_frame_size", -1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_frame_size");
    assertThatThrownBy(() -> provider.create(Map.of("frame", 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option");
  }
}

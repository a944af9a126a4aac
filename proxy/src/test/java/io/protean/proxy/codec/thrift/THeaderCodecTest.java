package io.protean.proxy.codec.thrift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.proxy.codec.FrameDecoder;
import java.util.Map;
import java.util.Set;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.transport.TMemoryInputTransport;
import org.junit.jupiter.api.Test;

/**
 * The Thrift codec on THeader frames captured from the Python {@code thrift} package and the Go
 * library (the same bytes as conformance/vectors/thrift/header-*).
 */
class THeaderCodecTest {
  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;
  /** Python, binary inside: echo("hi"), seq id 0, info header x-trace=t-1. */
  private static final String PYTHON_BINARY_CALL = "000000340fff00000000000000040000010107782d747261"
      + "636503742d3180010001000000046563686f000000000b000100000002686900";
  /** The Python server's reply to it, info header served-by=py. */
  private static final String PYTHON_BINARY_REPLY = "0000003b0fff000000000000000500000101097365727"
      + "665642d627902707900000080010002000000046563686f000000000b00000000000570793a686900";
  /** Go, compact inside: echo("hi"), seq id 1, x-trace=t-1. */
  private static final String GO_COMPACT_CALL = "000000270fff00000000000100040200010107782d747261"
      + "636503742d31822101046563686f1802686900";
  /** Python, binary inside, zlib transform: echo("squeezed"). */
  private static final String PYTHON_ZLIB_CALL = "000000410fff0000000000000005000101010107782d7472"
      + "61636503742d31000000789c6b60646064606060494dcec807d20cdc602e477161696a6a556a0a0300493205a0";
  /** Go's oneway note("n"), which the Go library writes as a CALL. */
  private static final String GO_NOTE = "000000330fff00000000000300040000010107782d747261636503742d"
      + "3180010001000000046e6f7465000000030b0001000000016e00";

  private static ThriftCodec codec() {
    return new ThriftCodec(ThriftLimits.DEFAULT, null, null, Set.of());
  }

  private static Frame decodeOne(ThriftCodec codec, String hex) {
    return ThriftCodecTest.decodeOne(codec, ByteBufUtil.decodeHexDump(hex));
  }

  @Test
  void infoHeadersBecomeMetadata() {
    Frame call = decodeOne(codec(), PYTHON_BINARY_CALL);
    Frame reply = decodeOne(codec(), PYTHON_BINARY_REPLY);
    Frame go = decodeOne(codec(), GO_COMPACT_CALL);
    try {
      assertThat(call.type()).isEqualTo(MessageType.REQUEST);
      assertThat(call.metadata().toMap()).containsExactly(Map.entry("method", "echo"),
          Map.entry("seq_id", "0"), Map.entry("message_type", "call"), Map.entry("x-trace", "t-1"));
      assertThat(reply.type()).isEqualTo(MessageType.RESPONSE);
      assertThat(reply.metadata().get("served-by")).isEqualTo("py");
      assertThat(go.requestId()).isEqualTo(1);
      assertThat(go.metadata().get("x-trace")).isEqualTo("t-1");
    } finally {
      call.release();
      reply.release();
      go.release();
    }
  }

  @Test
  void oneByteAtATimeAndCoalesced() {
    byte[] stream = ByteBufUtil.decodeHexDump(PYTHON_BINARY_CALL + PYTHON_BINARY_CALL);
    EmbeddedChannel oneByte = new EmbeddedChannel(new FrameDecoder(codec()));
    for (int i = 0; i < stream.length; i++) {
      oneByte.writeInbound(Unpooled.wrappedBuffer(stream, i, 1));
    }
    EmbeddedChannel together = new EmbeddedChannel(new FrameDecoder(codec()));
    together.writeInbound(Unpooled.wrappedBuffer(stream));
    for (EmbeddedChannel ch : new EmbeddedChannel[] {oneByte, together}) {
      for (int i = 0; i < 2; i++) {
        Frame f = ch.readInbound();
        assertThat(f.metadata().get("x-trace")).isEqualTo("t-1");
        f.release();
      }
      assertFalse(ch.finish());
    }
  }

  /** The seq id is in the THeader header and in the message: both are rewritten. */
  @Test
  void requestIdsAreRewrittenInTheHeaderAndTheMessage() {
    for (String hex : new String[] {PYTHON_BINARY_CALL, GO_COMPACT_CALL}) {
      ThriftCodec codec = codec();
      Frame frame = decodeOne(codec, hex);
      ByteBuf rewritten = frame.withRequestId(frame.content().retain(), 300);
      try {
        assertThat(rewritten.getInt(rewritten.readerIndex() + THeader.SEQ_ID_OFFSET)).isEqualTo(300);
        Frame again = decodeOne(codec(), ByteBufUtil.hexDump(rewritten));
        assertThat(again.requestId()).isEqualTo(300);
        assertThat(again.metadata().get("x-trace")).isEqualTo("t-1");
        again.release();
      } finally {
        rewritten.release();
        frame.release();
      }
    }
  }

  @Test
  void mutationRewritesTheInfoHeadersOnly() {
    ThriftCodec codec = codec();
    Frame frame = decodeOne(codec, GO_COMPACT_CALL);
    ByteBuf encoded = codec.encode(frame, new Mutation().set("x-lane", "blue").remove("x-trace")
        .set("x-user", "ann"), ALLOC);
    try {
      Frame again = decodeOne(codec(), ByteBufUtil.hexDump(encoded));
      assertThat(again.metadata().toMap()).containsExactly(Map.entry("method", "echo"),
          Map.entry("seq_id", "1"), Map.entry("message_type", "call"), Map.entry("x-lane", "blue"),
          Map.entry("x-user", "ann"));
      // The id rewriter finds the message past the re-encoded header.
      ByteBuf rewritten = again.withRequestId(again.content().retain(), 200);
      Frame third = decodeOne(codec(), ByteBufUtil.hexDump(rewritten));
      assertThat(third.requestId()).isEqualTo(200);
      rewritten.release();
      third.release();
      again.release();
      assertThatThrownBy(() -> codec.encode(frame, new Mutation().set("method", "other"), ALLOC))
          .isInstanceOf(ThriftCodecException.class)
          .hasMessageContaining("method is the Thrift message's own, not a THeader info header");
    } finally {
      encoded.release();
      frame.release();
    }
  }

  /** A zlib payload is refused, named after the call read from its inflated start. */
  @Test
  void zlibIsRefusedWithTheCallNamed() throws Exception {
    ThriftCodec codec = codec();
    Frame frame = decodeOne(codec, PYTHON_ZLIB_CALL);
    try {
      assertThat(frame.type()).isEqualTo(MessageType.REQUEST);
      assertThat(frame.metadata().get("method")).isEqualTo("echo");
      assertThat(frame.unreadable()).isEqualTo("the THeader transform 1 (zlib) is not supported;"
          + " send the payload untransformed");
      ByteBuf reply = codec.errorReply(frame, ErrorType.CODEC_FAILURE, "protean: no zlib", ALLOC);
      byte[] bytes = ByteBufUtil.getBytes(reply);
      reply.release();
      int payload = THeader.FIXED_BYTES + (bytes[13] & 0xff) * 4;
      TBinaryProtocol p = new TBinaryProtocol(new TMemoryInputTransport(bytes, payload,
          bytes.length - payload));
      TMessage m = p.readMessageBegin();
      assertThat(m.type).isEqualTo(TMessageType.EXCEPTION);
      assertThat(m.name).isEqualTo("echo");
      assertThat(TApplicationException.readFrom(p).getType())
          .isEqualTo(TApplicationException.PROTOCOL_ERROR);
    } finally {
      frame.release();
    }
  }

  @Test
  void onewayMethodsTurnCallsIntoOnewayRequests() {
    Frame note = decodeOne(new ThriftCodec(ThriftLimits.DEFAULT, null, null, Set.of("note")),
        GO_NOTE);
    Frame plain = decodeOne(codec(), GO_NOTE);
    try {
      assertThat(note.type()).isEqualTo(MessageType.ONEWAY);
      assertThat(note.metadata().get("message_type")).isEqualTo("call");
      assertThat(plain.type()).isEqualTo(MessageType.REQUEST);
    } finally {
      note.release();
      plain.release();
    }
  }

  /** A health check over THeader: a call the codec reads back, passed by a THeader reply. */
  @Test
  void healthChecksSpeakTHeader() {
    ThriftHealthCheck check = ThriftHealthCheck.of(Map.of("method_name", "ping", "transport",
        "header", "protocol", "compact"), null, null, ThriftLimits.DEFAULT);
    ByteBuf request = check.request(5, ALLOC);
    Frame call = decodeOne(codec(), ByteBufUtil.hexDump(request));
    request.release();
    Frame reply = decodeOne(codec(), PYTHON_BINARY_REPLY);
    try {
      assertThat(call.metadata().toMap()).containsExactly(Map.entry("method", "ping"),
          Map.entry("seq_id", "5"), Map.entry("message_type", "call"));
      assertThat(ThriftHealthCheck.of(Map.of("method_name", "echo", "transport", "header",
          "protocol", "binary"), null, null, ThriftLimits.DEFAULT).passes(reply)).isTrue();
    } finally {
      call.release();
      reply.release();
    }
  }

  @Test
  void configuredTransportsAreEnforcedAndBadHeadersNamed() throws Exception {
    ThriftCodec framed = new ThriftCodec(ThriftLimits.DEFAULT, ThriftTransport.FRAMED, null, Set.of());
    assertThatThrownBy(() -> decodeOne(framed, PYTHON_BINARY_CALL))
        .isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected a framed message, found the THeader magic 0x0fff at offset 4");
    ThriftCodec header = new ThriftCodec(ThriftLimits.DEFAULT, ThriftTransport.HEADER, null, Set.of());
    byte[] framedCall = ThriftWire.BINARY_FRAMED.call(c -> c.send_echo("x"));
    assertThatThrownBy(() -> decodeOne(header, ByteBufUtil.hexDump(framedCall)))
        .isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected a THeader message, found 0x8001 instead of the THeader magic"
            + " 0x0fff at offset 4");
    ThriftCodec compact = new ThriftCodec(ThriftLimits.DEFAULT, null, "compact", Set.of());
    assertThatThrownBy(() -> decodeOne(compact, PYTHON_BINARY_CALL))
        .isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected the compact protocol, found the binary protocol at offset 14");
    // Header size 0x00ff words: past the frame's end.
    String tooLong = PYTHON_BINARY_CALL.substring(0, 24) + "00ff" + PYTHON_BINARY_CALL.substring(28);
    assertThatThrownBy(() -> decodeOne(codec(), tooLong)).isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected a THeader header of at most 42 bytes (the frame's rest),"
            + " found 1020 at offset 12");
    // Protocol id 1 (JSON, which THeader allows but this codec does not read).
    String json = PYTHON_BINARY_CALL.substring(0, 28) + "01" + PYTHON_BINARY_CALL.substring(30);
    assertThatThrownBy(() -> decodeOne(codec(), json)).isInstanceOf(ThriftCodecException.class)
        .hasMessage("thrift: expected THeader protocol id 0 (binary) or 2 (compact), found 1 at"
            + " offset 14");
  }
}

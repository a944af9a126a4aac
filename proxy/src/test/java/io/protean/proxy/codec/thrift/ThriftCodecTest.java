package io.protean.proxy.codec.thrift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.proxy.codec.FrameDecoder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMap;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Thrift codec on bytes written by Apache Thrift's own library (libthrift 0.20.0, TBinaryProtocol
 * and TCompactProtocol, framed and unframed), and its error replies read back by libthrift.
 */
class ThriftCodecTest {

  /** Writes messages with libthrift into memory. */
  static final class Writer {
    final TMemoryBuffer memory;
    final TTransport transport;
    final TProtocol protocol;

    Writer(boolean framed, boolean compact) throws Exception {
      memory = new TMemoryBuffer(1024);
      transport = framed ? new TFramedTransport(memory) : memory;
      protocol = compact ? new TCompactProtocol(transport) : new TBinaryProtocol(transport);
    }

    /** A message whose body exercises every type the skipper must get past. */
    Writer message(String name, byte type, int seqId) throws Exception {
      TProtocol p = protocol;
      p.writeMessageBegin(new TMessage(name, type, seqId));
      p.writeStructBegin(new TStruct("args"));
      p.writeFieldBegin(new TField("text", TType.STRING, (short) 1));
      p.writeString("h\u00e9llo");
      p.writeFieldEnd();
      p.writeFieldBegin(new TField("n", TType.I32, (short) 2));
      p.writeI32(-42);
      p.writeFieldEnd();
      p.writeFieldBegin(new TField("flag", TType.BOOL, (short) 3));
      p.writeBool(true);
      p.writeFieldEnd();
      p.writeFieldBegin(new TField("tags", TType.LIST, (short) 20));
      p.writeListBegin(new TList(TType.STRING, 16));
      for (int i = 0; i < 16; i++) {
        p.writeString("t" + i);
      }
      p.writeListEnd();
      p.writeFieldEnd();
      p.writeFieldBegin(new TField("scores", TType.MAP, (short) 21));
      p.writeMapBegin(new TMap(TType.STRING, TType.I64, 2));
      p.writeString("a");
      p.writeI64(1L << 40);
      p.writeString("b");
      p.writeI64(-1);
      p.writeMapEnd();
      p.writeFieldEnd();
      p.writeFieldBegin(new TField("inner", TType.STRUCT, (short) 300));
      p.writeStructBegin(new TStruct("inner"));
      p.writeFieldBegin(new TField("d", TType.DOUBLE, (short) 1));
      p.writeDouble(2.5);
      p.writeFieldEnd();
      p.writeFieldBegin(new TField("bin", TType.STRING, (short) 2));
      p.writeBinary(ByteBuffer.wrap(new byte[300]));
      p.writeFieldEnd();
      p.writeFieldBegin(new TField("bools", TType.LIST, (short) 3));
      p.writeListBegin(new TList(TType.BOOL, 3));
      p.writeBool(true);
      p.writeBool(false);
      p.writeBool(true);
      p.writeListEnd();
      p.writeFieldEnd();
      p.writeFieldStop();
      p.writeStructEnd();
      p.writeFieldEnd();
      p.writeFieldStop();
      p.writeStructEnd();
      p.writeMessageEnd();
      transport.flush();
      return this;
    }

    byte[] bytes() {
      byte[] out = new byte[memory.length()];
      System.arraycopy(memory.getArray(), 0, out, 0, out.length);
      return out;
    }
  }

  static Codec codec() {
    return new ThriftCodecProvider().create(Map.of()).newCodec();
  }

  static Frame decode(Codec codec, byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      Frame f = codec.decode(in);
      assertThat(f).as("a complete frame").isNotNull();
      assertThat(in.isReadable()).isFalse();
      return f;
    } finally {
      in.release();
    }
  }

  @ParameterizedTest(name = "framed={0} compact={1}")
  @CsvSource({"true,false", "false,false", "true,true", "false,true"})
  void decodesEveryMessageTypeLibthriftWrites(boolean framed, boolean compact) throws Exception {
    Codec codec = codec();
    byte[] call = new Writer(framed, compact).message("Calc:add", TMessageType.CALL, 7).bytes();
    Frame f = decode(codec, call);
    assertThat(f.type()).isEqualTo(MessageType.REQUEST);
    assertThat(f.requestId()).isEqualTo(7);
    assertThat(f.length()).isEqualTo(call.length);
    assertThat(f.metadata().toMap()).containsExactly(Map.entry("service", "Calc"),
        Map.entry("method", "add"), Map.entry("seq_id", "7"), Map.entry("message_type", "call"));
    assertThat(f.hasRewritableId()).isEqualTo(!compact);
    f.release();

    for (Object[] c : new Object[][] {
        {TMessageType.ONEWAY, MessageType.ONEWAY, null},
        {TMessageType.REPLY, MessageType.RESPONSE, "OK"},
        {TMessageType.EXCEPTION, MessageType.ERROR, "EXCEPTION"}}) {
      Frame g = decode(codec, new Writer(framed, compact).message("echo", (byte) c[0], -5).bytes());
      assertThat(g.type()).isEqualTo(c[1]);
      assertThat(g.responseStatus()).isEqualTo(c[2]);
      assertThat(g.metadata().get("method")).isEqualTo("echo");
      assertThat(g.metadata().get("seq_id")).isEqualTo("-5");
      g.release();
    }
  }

  @ParameterizedTest(name = "framed={0} compact={1}")
  @CsvSource({"true,false", "false,false", "true,true", "false,true"})
  void oneByteAtATimeAndCoalesced(boolean framed, boolean compact) throws Exception {
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      frames.add(new Writer(framed, compact).message("m" + i, TMessageType.CALL, i).bytes());
    }
    EmbeddedChannel oneByte = new EmbeddedChannel(new FrameDecoder(codec()));
    for (byte[] f : frames) {
      for (byte b : f) {
        oneByte.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
      }
    }
    EmbeddedChannel together = new EmbeddedChannel(new FrameDecoder(codec()));
    ByteBuf all = Unpooled.buffer();
    frames.forEach(all::writeBytes);
    together.writeInbound(all);
    for (EmbeddedChannel ch : List.of(oneByte, together)) {
      for (int i = 0; i < 3; i++) {
        Frame f = ch.readInbound();
        assertThat(f.metadata().get("method")).isEqualTo("m" + i);
        assertThat(f.length()).isEqualTo(frames.get(i).length);
        f.release();
      }
      assertFalse(ch.finish());
    }
  }

  @ParameterizedTest(name = "framed={0} compact={1}")
  @CsvSource({"true,false", "false,false", "true,true", "false,true"})
  void errorRepliesAreTApplicationExceptionsLibthriftReads(boolean framed, boolean compact) throws Exception {
    Codec codec = codec();
    Frame request = decode(codec, new Writer(framed, compact).message("Calc:add", TMessageType.CALL, 9).bytes());
    ByteBuf reply = codec.errorReply(request, ErrorType.ROUTE_NOT_FOUND, "protean: no route", ByteBufAllocator.DEFAULT);
    byte[] bytes = new byte[reply.readableBytes()];
    reply.readBytes(bytes);
    reply.release();
    TMemoryBuffer memory = new TMemoryBuffer(bytes.length);
    memory.write(bytes);
    TTransport t = framed ? new TFramedTransport(memory) : memory;
    TProtocol p = compact ? new TCompactProtocol(t) : new TBinaryProtocol(t);
    TMessage m = p.readMessageBegin();
    assertThat(m.type).isEqualTo(TMessageType.EXCEPTION);
    assertThat(m.seqid).isEqualTo(9);
    assertThat(m.name).isEqualTo("Calc:add");
    TApplicationException e = TApplicationException.readFrom(p);
    assertThat(e.getType()).isEqualTo(TApplicationException.UNKNOWN_METHOD);
    assertThat(e.getMessage()).isEqualTo("protean: no route");

    Frame oneway = decode(codec, new Writer(framed, compact).message("log", TMessageType.ONEWAY, 1).bytes());
    assertThat(codec.errorReply(oneway, ErrorType.TIMEOUT, "x", ByteBufAllocator.DEFAULT)).isNull();
    oneway.release();
    request.release();
  }

  @ParameterizedTest(name = "framed={0}")
  @CsvSource({"true", "false"})
  void theBinarySeqIdIsRewrittenInPlace(boolean framed) throws Exception {
    Frame f = decode(codec(), new Writer(framed, false).message("Calc:add", TMessageType.CALL, 1).bytes());
    f.writeRequestId(f.content(), 777);
    byte[] bytes = new byte[f.length()];
    f.content().getBytes(f.content().readerIndex(), bytes);
    f.release();
    TMemoryBuffer memory = new TMemoryBuffer(bytes.length);
    memory.write(bytes);
    TProtocol p = new TBinaryProtocol(framed ? new TFramedTransport(memory) : memory);
    assertThat(p.readMessageBegin().seqid).isEqualTo(777);
  }

  @ParameterizedTest(name = "framed={0} compact={1}")
  @CsvSource({"true,false", "false,false", "true,true", "false,true"})
  void bitFlipsAndTruncationsAreCodecErrorsOrWaits(boolean framed, boolean compact) throws Exception {
    byte[] frame = new Writer(framed, compact).message("Calc:add", TMessageType.CALL, 3).bytes();
    Random random = new Random(42);
    for (int i = 0; i < 2000; i++) {
      byte[] bad = frame.clone();
      bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
      survive(bad);
    }
    for (int cut = 1; cut < frame.length; cut++) {
      survive(java.util.Arrays.copyOf(frame, cut));
    }
  }

  private static void survive(byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      Frame f = codec().decode(in);
      if (f != null) {
        f.release();
      }
    } catch (CodecException expected) {
      assertThat(expected).isInstanceOf(ThriftCodecException.class).hasMessageStartingWith("thrift: ");
    } finally {
      in.release();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"00ffffff80010001, frame length 16777215", "474554202f20, frame length 1195725856",
      "0000001047455420, expected a binary (0x80) or compact (0x82) message after the frame length"})
  void refusesGarbageAndOversizeFrames(String hex, String message) {
    byte[] bytes = java.util.HexFormat.of().parseHex(hex);
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      // 0x00ffffff is 16 MiB - 1: within the default limit, so give a small limit to see it refused
      Codec c = new ThriftCodecProvider().create(Map.of("max_frame_size", 1 << 20)).newCodec();
      assertThatThrownBy(() -> c.decode(in)).isInstanceOf(ThriftCodecException.class).hasMessageContaining(message);
    } finally {
      in.release();
    }
  }
}

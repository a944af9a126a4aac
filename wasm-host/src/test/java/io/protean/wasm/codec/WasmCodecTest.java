package io.protean.wasm.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.protean.abi.Metrics;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.module.ModuleSource;
import io.protean.testing.RecordingMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The codec ABI host on a minimal well-behaved module, on both engines. */
class WasmCodecTest {

  static byte[] wasm(String name) {
    try (InputStream in = WasmCodecTest.class.getResourceAsStream("/wasm/" + name)) {
      return in.readAllBytes();
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("test module " + name + " missing", e);
    }
  }

  static WasmCodecFactory factory(Engine engine, String module) {
    return factory(engine, module, new RecordingMetrics());
  }

  static WasmCodecFactory factory(Engine engine, String module, Metrics metrics) {
    return new WasmCodecFactory("test", ModuleSource.of(module, wasm(module), engine, WasmLimits.DEFAULT),
        "{}".getBytes(), metrics);
  }

  /** A lenprefix frame: u32 BE payload length, payload = u32 BE id + body. */
  static byte[] frame(int id, String body) {
    byte[] b = body.getBytes();
    ByteBuf buf = Unpooled.buffer().writeInt(4 + b.length).writeInt(id).writeBytes(b);
    byte[] out = new byte[buf.readableBytes()];
    buf.readBytes(out);
    buf.release();
    return out;
  }

  /** Feeds bytes in pieces of {@code step} into one growing buffer, as a pipeline would. */
  static List<String> decodeAll(Codec codec, byte[] bytes, int step) {
    ByteBuf in = Unpooled.buffer();
    List<String> out = new ArrayList<>();
    try {
      for (int i = 0; i < bytes.length; i += step) {
        in.writeBytes(bytes, i, Math.min(step, bytes.length - i));
        codec.inputMoved();
        for (Frame f; in.isReadable() && (f = codec.decode(in)) != null; ) {
          out.add(f.type() + " " + f.requestId() + " " + f.length() + " " + f.metadata());
          f.release();
        }
        in.discardReadBytes();
      }
      assertThat(in.isReadable()).isFalse();
      return out;
    } finally {
      in.release();
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void decodesFramesWhateverTheSplit(Engine engine) {
    Codec codec = factory(engine, "lenprefix.wasm").newCodec();
    ByteBuf all = Unpooled.buffer();
    for (int id = 1; id <= 20; id++) {
      all.writeBytes(frame(id * 1000, "body-" + "x".repeat(id * 7)));
    }
    byte[] bytes = new byte[all.readableBytes()];
    all.readBytes(bytes);
    all.release();
    List<String> expected = decodeAll(codec, bytes, bytes.length);
    assertThat(expected).hasSize(20).first().asString().isEqualTo("REQUEST 1000 20 {k=v}");
    for (int step : new int[] {1, 3, 7, 64, 100}) {
      assertThat(decodeAll(codec, bytes, step)).as("step " + step).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void framesCarryTheirIdPosition(Engine engine) {
    Codec codec = factory(engine, "lenprefix.wasm").newCodec();
    ByteBuf in = Unpooled.wrappedBuffer(frame(7, "abc"));
    Frame f = codec.decode(in);
    f.writeRequestId(f.content(), 0x01020304);
    assertThat(f.content().getInt(4)).isEqualTo(0x01020304);
    assertThat(f.requestId()).isEqualTo(7);
    // The guest sees the client's id again when it builds a reply from the forwarded bytes.
    ByteBuf reply = codec.errorReply(f, ErrorType.TIMEOUT, "late", ByteBufAllocator.DEFAULT);
    assertThat(reply.getInt(4)).isEqualTo(7);
    reply.release();
    assertThat(codec.errorReply(f, ErrorType.RATE_LIMITED, "x", ByteBufAllocator.DEFAULT)).isNull();
    ByteBuf encoded = codec.encode(f, new Mutation().set("a", "b"), ByteBufAllocator.DEFAULT);
    assertThat(encoded.readableBytes()).isEqualTo(f.length());
    encoded.release();
    f.release();
    in.release();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void guestErrorsAreCodecExceptions(Engine engine) {
    Codec codec = factory(engine, "lenprefix.wasm").newCodec();
    ByteBuf in = Unpooled.buffer().writeInt(2).writeShort(1);
    assertThatThrownBy(() -> codec.decode(in)).isInstanceOf(CodecException.class)
        .hasMessage("lenprefix.wasm: error: payload shorter than the request id");
    in.release();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void needMoreDataHintSavesGuestCalls(Engine engine) {
    Codec codec = factory(engine, "lenprefix.wasm").newCodec();
    byte[] big = frame(1, "y".repeat(50_000));
    assertThat(decodeAll(codec, big, 1000)).containsExactly("REQUEST 1 50008 {k=v}");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void refusesModulesWithoutTheAbi(Engine engine) {
    byte[] empty = {0, 'a', 's', 'm', 1, 0, 0, 0};
    assertThatThrownBy(() -> new WasmCodecFactory("x", ModuleSource.of("empty.wasm", empty, engine,
        WasmLimits.DEFAULT), new byte[0], new RecordingMetrics()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty.wasm is not a Protean codec module (ABI v1): missing export(s) [protean_codec_abi_v1");
    assertThatThrownBy(() -> engine.load("junk.wasm", new byte[] {1, 2, 3}, WasmLimits.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("junk.wasm is not a valid Wasm module");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void messageTypeIsRequest(Engine engine) {
    Codec codec = factory(engine, "lenprefix.wasm").newCodec();
    ByteBuf in = Unpooled.wrappedBuffer(frame(3, ""));
    Frame f = codec.decode(in);
    assertThat(f.type()).isEqualTo(MessageType.REQUEST);
    f.release();
    in.release();
  }
}

package io.protean.wasm.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.Frame;
import io.protean.testing.RecordingMetrics;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.module.ModuleSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both guest SDKs keep state per connection id until they hear {@code
 * protean_codec_connection_closed}; {@link Codec#close()} is where they hear it. Without it a
 * guest's memory grows with every connection the proxy ever had, until the instance reaches its
 * cap (measured over 100,000 connections: the Rust Dubbo codec 18 to 41 pages, the Go Thrift codec
 * 38 to 240; with close(), 18 and 112).
 */
class ConnectionCloseTest {

  /**
   * Real codecs, each with a real request, the connections after which its memory must not grow
   * any more, and the connections to run. The Rust codecs and the Go Dubbo codec allocate nothing
   * per connection once warm: flat after 2,000. The Go Thrift and TinyRPC codecs allocate a little
   * per connection (garbage once it is closed); the Go collector first runs when that reaches its
   * 4 MiB heap goal, so their memory climbs to ~7 MiB (112 pages) over ~70,000 connections, then
   * stays there. Without close() each of them still grows in the measured stretch.
   */
  static Stream<Arguments> realCodecs() {
    return Stream.of(
        Arguments.of("../example-codecs-rust/wasm/dubbo.wasm", "dubbo/captured-request-greet.yaml", 2_000, 40_000),
        Arguments.of("../example-codecs-rust/wasm/tinyrpc.wasm", "tinyrpc/request.yaml", 2_000, 40_000),
        Arguments.of("../example-codecs-tinygo/wasm/dubbo.wasm", "dubbo/captured-request-greet.yaml", 2_000, 40_000),
        Arguments.of("../example-codecs-tinygo/wasm/thrift.wasm",
            "thrift/framed-binary/libthrift-framed-binary-call.yaml", 80_000, 120_000),
        Arguments.of("../example-codecs-tinygo/wasm/tinyrpc.wasm", "tinyrpc/request.yaml", 80_000, 120_000));
  }

  /** The {@code input_hex} of a conformance vector: a real request of the protocol. */
  static byte[] vector(String name) throws IOException {
    return Files.readAllLines(Path.of("../conformance/vectors", name)).stream()
        .filter(l -> l.startsWith("input_hex: ")).findFirst()
        .map(l -> HexFormat.of().parseHex(l.substring("input_hex: ".length()).trim()))
        .orElseThrow();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("realCodecs")
  void guestMemoryStaysBoundedOverManyConnections(String module, String request, int warmUp,
      int connections) throws IOException {
    WasmCodecFactory factory = new WasmCodecFactory("test",
        ModuleSource.file(Path.of(module), Engine.COMPILER, WasmLimits.DEFAULT), "{}".getBytes(),
        new RecordingMetrics());
    byte[] frame = vector(request);
    long afterWarmUp = 0;
    for (int i = 0; i < connections; i++) {
      if (i == warmUp) {
        afterWarmUp = factory.guestMemoryBytes();
      }
      Codec connection = factory.newCodec();
      ByteBuf in = Unpooled.wrappedBuffer(frame);
      try {
        Frame f = connection.decode(in);
        assertThat(f).as("connection " + i).isNotNull();
        f.release();
      } finally {
        in.release();
      }
      connection.close();
    }
    assertThat(factory.guestMemoryBytes()).as(connections + " connections; memory after "
        + warmUp + " was " + afterWarmUp).isLessThanOrEqualTo(afterWarmUp);
    assertThat(factory.instanceFailures()).isZero();
  }

  /** The number of connection_closed calls hostile.wat's instance has had (its 0xEA mode). */
  private static int closedCalls(WasmCodecFactory factory) {
    ByteBuf ask = Unpooled.buffer().writeByte(0xEA).writeZero(15);
    try {
      factory.newCodec().decode(ask);
      throw new AssertionError("0xEA always answers with an error");
    } catch (CodecException e) {
      assertThat(e.getMessage()).startsWith("hostile.wasm: closed: ");
      return e.getMessage().charAt(e.getMessage().length() - 1) - '0';
    } finally {
      ask.release();
    }
  }

  private static void decodeOne(Codec codec, int id) {
    ByteBuf in = Unpooled.wrappedBuffer(WasmCodecTest.frame(id, "x"));
    try {
      codec.decode(in).release();
    } finally {
      in.release();
    }
  }

  @Test
  void onlyTheLiveInstanceThatSawTheConnectionIsTold() {
    WasmCodecFactory factory = WasmCodecTest.factory(Engine.COMPILER, "hostile.wasm");
    Codec idle = factory.newCodec();
    idle.close();
    assertThat(closedCalls(factory)).as("a connection that never called the guest").isZero();

    Codec a = factory.newCodec();
    Codec b = factory.newCodec();
    decodeOne(a, 1);
    decodeOne(b, 2);
    a.close();
    a.close();
    assertThat(closedCalls(factory)).as("once, however often close() is called").isEqualTo(1);

    // b's instance fails; b's state went with it, and the new instance never saw b.
    ByteBuf trap = Unpooled.buffer().writeByte(0xE1).writeZero(15);
    try {
      assertThatThrownBy(() -> factory.newCodec().decode(trap)).isInstanceOf(CodecException.class);
    } finally {
      trap.release();
    }
    b.close();
    assertThat(closedCalls(factory)).as("the dead instance is not called, the new one not told").isZero();

    Codec c = factory.newCodec();
    decodeOne(c, 3);
    c.close();
    assertThat(closedCalls(factory)).isEqualTo(1);
    // A late call after close() (an error reply to a request in flight) leaves no state either.
    ByteBuf in = Unpooled.wrappedBuffer(WasmCodecTest.frame(4, "late"));
    try {
      Frame f = factory.newCodec().decode(in);
      ByteBuf reply = c.errorReply(f, io.protean.abi.codec.ErrorType.TIMEOUT, "late",
          io.netty.buffer.ByteBufAllocator.DEFAULT);
      reply.release();
      f.release();
    } finally {
      in.release();
    }
    assertThat(closedCalls(factory)).isEqualTo(2);
  }
}

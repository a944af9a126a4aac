package io.protean.wasm.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.protean.abi.ExtensionContext;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.Frame;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.module.ModuleSource;
import io.protean.testing.RecordingMetrics;
import io.protean.wasm.guest.GuestTrap.Reason;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile module corpus (hostile.wat and friends), on both engines: every misbehaviour ends
 * in a clean CodecException for the connection that triggered it, a counted instance failure,
 * and a fresh instance that decodes the next connection's frames normally.
 */
class HostileCodecTest {

  static Stream<Arguments> misbehaviours() {
    Stream.Builder<Arguments> cases = Stream.builder();
    for (Engine engine : Engine.values()) {
      cases.add(Arguments.of(engine, 0xE1, Reason.TRAP, "guest trapped"));
      cases.add(Arguments.of(engine, 0xE2, Reason.TIMEOUT, "exceeded its time limit of 1000 ms"));
      cases.add(Arguments.of(engine, 0xE3, Reason.TRAP, "guest trapped"));
      cases.add(Arguments.of(engine, 0xE4, Reason.INVALID_RESULT, "result block at 2147483632+12 lies outside guest memory"));
      cases.add(Arguments.of(engine, 0xE5, Reason.INVALID_RESULT, "result block length 2147483647"));
      cases.add(Arguments.of(engine, 0xE6, Reason.INVALID_RESULT, "100000 metadata pairs (limit 1024)"));
      // Endive bounds the Wasm call stack itself: unbounded recursion is a trap, not a JVM overflow.
      cases.add(Arguments.of(engine, 0xE8, Reason.TRAP, "call stack exhausted"));
    }
    return cases.build();
  }

  @ParameterizedTest(name = "{0} 0x{1}")
  @MethodSource("misbehaviours")
  void misbehaviourEndsOnlyThatInstance(Engine engine, int mode, Reason reason, String message) {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmCodecFactory factory = WasmCodecTest.factory(engine, "hostile.wasm", metrics);
    Codec victim = factory.newCodec();
    Codec bystander = factory.newCodec();
    assertThat(decode(bystander, WasmCodecTest.frame(1, "before"))).isEqualTo(1);

    ByteBuf trigger = Unpooled.buffer().writeByte(mode).writeZero(15);
    try {
      assertThatThrownBy(() -> victim.decode(trigger)).isInstanceOf(CodecException.class)
          .hasMessageStartingWith("wasm codec hostile.wasm: ").hasMessageContaining(message);
    } finally {
      trigger.release();
    }
    assertThat(metrics.value("protean_wasm_instance_failures_total", "module", "hostile.wasm",
        "reason", reason.name().toLowerCase(Locale.ROOT))).isEqualTo(1);
    assertThat(factory.instanceFailures()).isEqualTo(1);
    assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag left set").isFalse();

    // The other connection goes on, on a new instance.
    assertThat(decode(bystander, WasmCodecTest.frame(2, "after"))).isEqualTo(2);
    assertThat(metrics.value("protean_wasm_instances_created_total", "module", "hostile.wasm"))
        .as("the first instance and its replacement").isEqualTo(2);
    assertThat(metrics.value("protean_wasm_instances", "module", "hostile.wasm"))
        .as("the failed one is closed").isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void badPointersInHostCallsGetAStatusNotACrash(Engine engine) {
    WasmCodecFactory factory = WasmCodecTest.factory(engine, "hostile.wasm");
    Codec codec = factory.newCodec();
    // 0xE7: the guest logs from an out-of-bounds pointer and traps unless it gets status 6;
    // it then asks for more data.
    ByteBuf in = Unpooled.buffer().writeByte(0xE7).writeZero(3);
    try {
      assertThat(codec.decode(in)).isNull();
    } finally {
      in.release();
    }
    assertThat(decode(factory.newCodec(), WasmCodecTest.frame(3, "fine"))).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void refusesModulesThatBreakTheContract(Engine engine) {
    assertThatThrownBy(() -> WasmCodecTest.factory(engine, "no_marker.wasm"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no_marker.wasm is not a Protean codec module (ABI v1): missing export(s) "
            + "[protean_codec_abi_v1]");
    assertThatThrownBy(() -> new WasmCodecFactory("x", ModuleSource.of("unknown_import.wasm",
        WasmCodecTest.wasm("unknown_import.wasm"), engine, WasmLimits.DEFAULT), new byte[0],
        new RecordingMetrics()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("imports env.proxy_http_call, which the host does not provide");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void hostFunctionsAndResultsObeyTheConfiguredLimits(Engine engine) {
    // 0xE9 logs a 100-byte message and traps unless the host refuses it (BadArgument).
    CodecFactory configured = new WasmCodecProvider().create(Map.of("module",
        "src/test/resources/wasm/hostile.wasm", "engine", engine.name().toLowerCase(Locale.ROOT),
        "max_string_bytes", 64), ExtensionContext.of(new RecordingMetrics()));
    ByteBuf e9 = Unpooled.buffer().writeByte(0xE9).writeZero(15);
    try {
      assertThat(configured.newCodec().decode(e9)).isNull();
      // Under the default limit (64 KiB) the message is accepted, so the guest traps.
      assertThatThrownBy(() -> WasmCodecTest.factory(engine, "hostile.wasm").newCodec().decode(e9))
          .isInstanceOf(CodecException.class).hasMessageContaining("guest trapped");
    } finally {
      e9.release();
    }
    // A frame's metadata pairs are counted against the configured limit too.
    CodecFactory noPairs = new WasmCodecProvider().create(Map.of("module",
        "src/test/resources/wasm/lenprefix.wasm", "engine", engine.name().toLowerCase(Locale.ROOT),
        "max_pairs", 0), ExtensionContext.of(new RecordingMetrics()));
    ByteBuf frame = Unpooled.wrappedBuffer(WasmCodecTest.frame(1, "x"));
    try {
      assertThatThrownBy(() -> noPairs.newCodec().decode(frame)).isInstanceOf(CodecException.class)
          .hasMessageContaining("1 metadata pairs (limit 0)");
    } finally {
      frame.release();
    }
  }

  private static long decode(Codec codec, byte[] frame) {
    ByteBuf in = Unpooled.wrappedBuffer(frame);
    codec.inputMoved();
    try {
      Frame f = codec.decode(in);
      long id = f.requestId();
      f.release();
      return id;
    } finally {
      in.release();
    }
  }
}

package io.protean.wasm.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.Reloadable.Staged;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.testing.RecordingMetrics;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.module.ModuleBytes;
import io.protean.wasm.module.ModuleSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Wasm codec's reload (stage, then commit) and its release from an event loop, watched through
 * its instance metrics: created, and alive now.
 */
class CodecReloadTest {
  static final byte[] LENPREFIX = WasmCodecTest.wasm("lenprefix.wasm");

  @TempDir
  Path dir;
  final RecordingMetrics metrics = new RecordingMetrics();
  final List<EventExecutor> loops = new ArrayList<>();

  @AfterEach
  void stopLoops() {
    loops.forEach(l -> l.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly());
  }

  long created() {
    return metrics.value("protean_wasm_instances_created_total", "module", "codec.wasm");
  }

  long alive() {
    return metrics.value("protean_wasm_instances", "module", "codec.wasm");
  }

  WasmCodecFactory factory(Path file, Engine engine) {
    return new WasmCodecFactory("test", ModuleSource.file(file, engine, WasmLimits.DEFAULT),
        "{}".getBytes(), metrics);
  }

  static void decodeOne(Codec codec, int id) {
    ByteBuf in = Unpooled.wrappedBuffer(WasmCodecTest.frame(id, "x"));
    try {
      codec.decode(in).release();
    } finally {
      in.release();
    }
  }

  <T> T on(EventExecutor loop, Callable<T> task) throws Exception {
    return loop.submit(task).get();
  }

  void on(EventExecutor loop, Runnable task) throws Exception {
    loop.submit(task).get();
  }

  EventExecutor newLoop() {
    EventExecutor loop = new DefaultEventExecutor();
    loops.add(loop);
    return loop;
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void stageValidatesEverythingAndChangesNothingUntilCommit(Engine engine) throws Exception {
    Path file = Files.write(dir.resolve("codec.wasm"), LENPREFIX);
    WasmCodecFactory factory = factory(file, engine);
    Codec codec = factory.newCodec();
    decodeOne(codec, 1);
    assertThat(created()).isEqualTo(1);

    assertThat(factory.stage()).as("byte for byte the same").isNull();
    Files.write(file, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0}); // valid Wasm, not a codec
    assertThatThrownBy(factory::stage).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("codec.wasm is not a Protean codec module (ABI v1): missing export(s) "
            + "[protean_codec_abi_v1, protean_codec_input, protean_codec_init, protean_codec_decode, "
            + "protean_codec_encode, protean_codec_error_reply, protean_codec_heartbeat_reply]");
    Files.write(file, new byte[] {1, 2, 3});
    assertThatThrownBy(factory::stage).hasMessageStartingWith("codec.wasm is not a valid Wasm module");
    Files.delete(file);
    assertThatThrownBy(factory::stage).hasMessageStartingWith("cannot read '" + file + "'");
    decodeOne(codec, 2);
    assertThat(created()).as("refusals change nothing").isEqualTo(1);

    Files.write(file, ModuleBytes.retagged(LENPREFIX, "v2"));
    Staged staged = factory.stage();
    assertThat(staged).isNotNull();
    decodeOne(codec, 3);
    assertThat(created()).as("staged, not committed").isEqualTo(1);

    staged.commit();
    decodeOne(codec, 4);
    assertThat(created()).as("the same connection goes on, on a new instance").isEqualTo(2);
    assertThat(alive()).as("the replaced instance is closed").isEqualTo(1);
    staged.commit();
    decodeOne(codec, 5);
    assertThat(created()).as("committing twice changes nothing").isEqualTo(2);
    assertThat(factory.stage()).as("the file is what runs").isNull();
    codec.close();
  }

  @Test
  void aReleasedLoopKeepsItsInstanceUntilItsLastConnectionCloses() throws Exception {
    Path file = Files.write(dir.resolve("codec.wasm"), WasmCodecTest.wasm("hostile.wasm"));
    WasmCodecFactory factory = factory(file, Engine.COMPILER);
    EventExecutor loop = newLoop();
    Codec open = on(loop, () -> {
      factory.prepareThread();
      Codec c = factory.newCodec();
      decodeOne(c, 1);
      return c;
    });
    on(loop, factory::releaseThread);
    assertThat(alive()).as("a connection still uses it").isEqualTo(1);
    on(loop, () -> decodeOne(open, 2));

    // The instance fails after the release: the open connection still gets a replacement ...
    on(loop, () -> {
      ByteBuf trap = Unpooled.buffer().writeByte(0xE1).writeZero(15);
      try {
        assertThatThrownBy(() -> open.decode(trap)).isInstanceOf(CodecException.class);
      } finally {
        trap.release();
      }
      decodeOne(open, 3);
    });
    assertThat(created()).isEqualTo(2);
    assertThat(alive()).isEqualTo(1);
    // ... which is closed with it.
    on(loop, open::close);
    assertThat(alive()).isZero();

    on(loop, factory::prepareThread);
    assertThat(alive()).isEqualTo(1);
    on(loop, factory::releaseThread);
    assertThat(alive()).as("no connection: closed at once").isZero();
  }

  /** Reloads replace factories again and again: each loop's instance of each is closed. */
  @Test
  void factoriesReleasedOverAndOverLeaveNoInstanceBehind() throws Exception {
    Path file = Files.write(dir.resolve("codec.wasm"), LENPREFIX);
    List<EventExecutor> two = List.of(newLoop(), newLoop());
    for (int round = 0; round < 25; round++) {
      WasmCodecFactory factory = factory(file, Engine.COMPILER);
      List<Codec> lingering = new ArrayList<>();
      for (EventExecutor loop : two) {
        lingering.add(on(loop, () -> {
          factory.prepareThread();
          Codec done = factory.newCodec();
          Codec lingers = factory.newCodec();
          decodeOne(done, 1);
          decodeOne(lingers, 2);
          done.close();
          return lingers;
        }));
      }
      if (round % 5 == 4) { // now and then the module changes under open connections
        Files.write(file, ModuleBytes.retagged(LENPREFIX, "round " + round));
        factory.stage().commit();
        for (int i = 0; i < two.size(); i++) {
          Codec c = lingering.get(i);
          on(two.get(i), () -> decodeOne(c, 3));
        }
      }
      for (int i = 0; i < two.size(); i++) {
        Codec c = lingering.get(i);
        on(two.get(i), factory::releaseThread);
        on(two.get(i), c::close);
      }
      assertThat(alive()).as("round " + round).isZero();
    }
    assertThat(created()).isEqualTo(25 * 2 + 5 * 2);
  }
}

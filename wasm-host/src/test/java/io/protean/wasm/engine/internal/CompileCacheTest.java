package io.protean.wasm.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestInstance;
import io.protean.wasm.guest.HostFunctionDef;
import io.protean.wasm.guest.HostFunctionDef.ValueKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiled classes kept on disk between starts, and what happens when an entry is damaged. */
class CompileCacheTest {
  @TempDir
  Path dir;

  static byte[] lenprefix() throws IOException {
    try (InputStream in = CompileCacheTest.class.getResourceAsStream("/wasm/lenprefix.wasm")) {
      return in.readAllBytes();
    }
  }

  /**
   * Loads the module through the cache and decodes one frame with it, calling the codec ABI's
   * exports directly (this layer sits below the codec host).
   */
  static long decodeOnce(Path cacheDir) throws IOException {
    var module = new EndiveModule("lenprefix.wasm", lenprefix(), true, WasmLimits.DEFAULT,
        new CompileCache(cacheDir));
    var log = new HostFunctionDef("env", "proxy_log", List.of(ValueKind.I32, ValueKind.I32,
        ValueKind.I32), List.of(ValueKind.I32), (memory, args) -> new long[] {0});
    try (GuestInstance instance = module.instantiate(List.of(log))) {
      byte[] frame = ByteBuffer.allocate(12).putInt(8).putInt(42).put("body".getBytes()).array();
      int input = (int) instance.function("protean_codec_input").call(frame.length)[0];
      instance.memory().write(input, frame, 0, frame.length);
      int block = (int) instance.function("protean_codec_decode").call(0, 0, frame.length)[0];
      // decode block: status at 4 (0 FRAME), request id at 20 (little-endian u64)
      ByteBuffer b = ByteBuffer.wrap(instance.memory().read(block, 28)).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(b.getInt(4)).isZero();
      return b.getLong(20);
    }
  }

  private List<Path> entries() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  @Test
  void storesOnceAndLoadsTheStoredClasses() throws IOException {
    assertThat(decodeOnce(dir)).isEqualTo(42);
    List<Path> entries = entries();
    assertThat(entries).singleElement().satisfies(p -> assertThat(p.toString()).endsWith(".classes"));
    byte[] stored = Files.readAllBytes(entries.get(0));

    assertThat(decodeOnce(dir)).isEqualTo(42);
    assertThat(entries()).isEqualTo(entries);
    assertThat(Files.readAllBytes(entries.get(0))).isEqualTo(stored);
  }

  @Test
  void aDamagedEntryIsReplacedAndTheModuleStillRuns() throws IOException {
    decodeOnce(dir);
    Path entry = entries().get(0);
    byte[] damaged = "not classes".getBytes();
    Files.write(entry, damaged);

    assertThat(decodeOnce(dir)).isEqualTo(42);
    // Only a cache that was read can have noticed the damage: the entry was written again (a zip
    // of classes; its bytes carry the time it was written, so they are not compared).
    byte[] rewritten = Files.readAllBytes(entry);
    assertThat(rewritten).isNotEqualTo(damaged).startsWith((byte) 'P', (byte) 'K');
    assertThat(decodeOnce(dir)).isEqualTo(42);
  }

  @Test
  void aDirectoryOfOursIsMadeOwnerOnly() throws IOException {
    Path cache = dir.resolve("cache");
    System.setProperty("protean.wasm.cache", cache.toString());
    try {
      CompileCache.resetForTests();
      assertThat(CompileCache.configured()).isNotNull();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rwx------");
      System.setProperty("protean.wasm.cache", "off");
      CompileCache.resetForTests();
      assertThat(CompileCache.configured()).isNull();
    } finally {
      System.clearProperty("protean.wasm.cache");
      CompileCache.resetForTests();
    }
  }
}

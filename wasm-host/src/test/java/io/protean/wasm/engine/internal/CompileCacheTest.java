package io.protean.wasm.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Frame;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.codec.WasmCodecFactory;
import java.io.IOException;
import java.io.InputStream;
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

  /** Loads the module through the cache and decodes one frame with it. */
  static long decodeOnce(Path cacheDir) throws IOException {
    var module = new EndiveModule("lenprefix.wasm", lenprefix(), true, WasmLimits.DEFAULT,
        new CompileCache(cacheDir));
    var codec = new WasmCodecFactory("test", module, WasmLimits.DEFAULT, "{}".getBytes()).newCodec();
    ByteBuf in = Unpooled.buffer().writeInt(8).writeInt(42).writeBytes("body".getBytes());
    try {
      Frame f = codec.decode(in);
      long id = f.requestId();
      f.release();
      return id;
    } finally {
      in.release();
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

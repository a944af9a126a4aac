package io.protean.conformance;

import io.protean.abi.codec.CodecFactory;
import io.protean.proxy.codec.CodecRegistry;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.observability.Stats;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.codec.WasmCodecFactory;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.module.ModuleSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A codec under test: a native codec by name, or a Wasm module on one engine.
 *
 * @param name          display name, e.g. {@code rust-dubbo [interpreter]}
 * @param factory       the codec
 * @param guestFailures Wasm instance failures so far (0 for native codecs)
 * @param guestMemory   this thread's Wasm instance memory in bytes (0 for native codecs)
 */
public record Implementation(String name, CodecFactory factory, LongSupplier guestFailures,
    LongSupplier guestMemory) {

  public static Implementation nativeCodec(String name, String codec) {
    return new Implementation(name, new CodecRegistry().create(new CodecConfig(codec, Map.of()), "codec"),
        () -> 0, () -> 0);
  }

  /** Loads {@code module} on {@code engine}; refuses a module without the ABI version marker. */
  public static Implementation wasm(String name, Path module, Engine engine) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(module);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + module, e);
    }
    String file = module.getFileName().toString();
    WasmCodecFactory factory = new WasmCodecFactory(file, ModuleSource.of(file, bytes, engine,
        WasmLimits.DEFAULT), "{}".getBytes(), new Stats());
    return new Implementation(name + " [" + engine.name().toLowerCase(Locale.ROOT) + "]", factory,
        factory::instanceFailures,
        factory::guestMemoryBytes);
  }
}

package io.protean.wasm.codec;

import io.protean.abi.ExtensionContext;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import io.protean.wasm.module.ModuleOptions;
import io.protean.wasm.module.ModuleSource;
import java.util.List;
import java.util.Map;

/**
 * {@code codec: {wasm: {module: path/to/codec.wasm, config: {...}, protocol: NAME, engine: ...,
 * max_call_time: ..., ...}}}: the module options of {@link ModuleOptions} (path relative to the
 * proxy's working directory, engine, limits), the codec's {@code config} (handed to its init as
 * JSON) and the protocol name for logs (default: the file name without {@code .wasm}).
 */
public final class WasmCodecProvider implements CodecProvider {
  private static final List<String> OPTIONS = List.of("config", "protocol");

  @Override
  public String name() {
    return "wasm";
  }

  @Override
  public CodecFactory create(Map<String, Object> options, ExtensionContext context) {
    ModuleSource source = ModuleOptions.parse(options, OPTIONS);
    byte[] config = ModuleOptions.json("config", options.getOrDefault("config", Map.of()));
    String protocol = String.valueOf(options.getOrDefault("protocol",
        source.name().replaceFirst("\\.wasm$", "")));
    try {
      return new WasmCodecFactory(protocol, source, config, context.metrics());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("module: " + e.getMessage(), e);
    }
  }
}

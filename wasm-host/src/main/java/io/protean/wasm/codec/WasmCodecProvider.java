package io.protean.wasm.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code codec: {wasm: {module: path/to/codec.wasm, config: {...}, engine: compiler|interpreter,
 * protocol: NAME}}}. The module path is relative to the proxy's working directory.
 */
public final class WasmCodecProvider implements CodecProvider {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> OPTIONS = Set.of("module", "config", "engine", "protocol");

  @Override
  public String name() {
    return "wasm";
  }

  @Override
  public CodecFactory create(Map<String, Object> options) {
    for (String key : options.keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException(key + ": unknown field (expected one of " + OPTIONS + ")");
      }
    }
    Object module = options.get("module");
    if (!(module instanceof String path) || path.isBlank()) {
      throw new IllegalArgumentException("module: required, the path of a .wasm file");
    }
    Engine engine;
    String engineName = String.valueOf(options.getOrDefault("engine", "compiler"));
    try {
      engine = Engine.valueOf(engineName.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("engine: expected compiler or interpreter, found '" + engineName + "'");
    }
    byte[] config;
    try {
      config = JSON.writeValueAsBytes(options.getOrDefault("config", Map.of()));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config: cannot serialise: " + e.getOriginalMessage());
    }
    String file = Path.of(path).getFileName().toString();
    String protocol = String.valueOf(options.getOrDefault("protocol", file.replaceFirst("\\.wasm$", "")));
    WasmCodecFactory.ModuleSource source = () -> engine.load(file, read(path), WasmLimits.DEFAULT);
    try {
      return new WasmCodecFactory(protocol, source.load(), WasmLimits.DEFAULT, config, source);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("module: " + e.getMessage(), e);
    }
  }

  private static byte[] read(String path) {
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read '" + path + "': " + e);
    }
  }
}

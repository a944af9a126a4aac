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
  private static final Set<String> OPTIONS =
      Set.of("module", "config", "engine", "protocol", "max_call_time", "max_memory_pages");

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
    WasmLimits d = WasmLimits.DEFAULT;
    WasmLimits limits = new WasmLimits(
        intOption(options, "max_memory_pages", d.maxMemoryPages()),
        duration(options.get("max_call_time"), d.maxCallTime()),
        d.maxBlockBytes(), d.maxPairs(), d.maxStringBytes());
    byte[] config;
    try {
      config = JSON.writeValueAsBytes(options.getOrDefault("config", Map.of()));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config: cannot serialise: " + e.getOriginalMessage());
    }
    String file = Path.of(path).getFileName().toString();
    String protocol = String.valueOf(options.getOrDefault("protocol", file.replaceFirst("\\.wasm$", "")));
    WasmCodecFactory.ModuleSource source = () -> engine.load(file, read(path), limits);
    try {
      return new WasmCodecFactory(protocol, source.load(), limits, config, source);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("module: " + e.getMessage(), e);
    }
  }

  private static int intOption(Map<String, Object> options, String key, int fallback) {
    Object v = options.get(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Integer n) || n < 1 || n > 65536) {
      throw new IllegalArgumentException(key + ": expected a number between 1 and 65536, found '" + v + "'");
    }
    return n;
  }

  /** {@code 250ms} or {@code 5s}. */
  private static java.time.Duration duration(Object v, java.time.Duration fallback) {
    if (v == null) {
      return fallback;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s)").matcher(v.toString().trim());
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new IllegalArgumentException("max_call_time: expected a duration like 250ms or 5s, found '" + v + "'");
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2).equals("ms") ? java.time.Duration.ofMillis(n) : java.time.Duration.ofSeconds(n);
  }

  private static byte[] read(String path) {
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read '" + path + "': " + e);
    }
  }
}

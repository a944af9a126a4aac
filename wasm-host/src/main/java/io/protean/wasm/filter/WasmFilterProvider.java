package io.protean.wasm.filter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code filters: [{wasm: {module: filter.wasm, config: ..., engine: compiler|interpreter,
 * failure_policy: fail_closed|fail_open}}]}: a proxy-wasm 0.2.1 filter (built with the official
 * Rust or Go SDK, for example). {@code config} is the plugin configuration: a string as-is,
 * anything else as JSON.
 */
public final class WasmFilterProvider implements FilterProvider {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> OPTIONS = Set.of("module", "config", "engine", "failure_policy");

  @Override
  public String name() {
    return "wasm";
  }

  @Override
  public FilterFactory create(Map<String, Object> options) {
    for (String key : options.keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException(key + ": unknown field (expected one of " + OPTIONS + ")");
      }
    }
    if (!(options.get("module") instanceof String path) || path.isBlank()) {
      throw new IllegalArgumentException("module: required, the path of a .wasm file");
    }
    String policy = String.valueOf(options.getOrDefault("failure_policy", "fail_closed"));
    if (!policy.equals("fail_closed") && !policy.equals("fail_open")) {
      throw new IllegalArgumentException("failure_policy: expected fail_closed or fail_open, found '" + policy + "'");
    }
    String engineName = String.valueOf(options.getOrDefault("engine", "compiler"));
    Engine engine;
    try {
      engine = Engine.valueOf(engineName.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("engine: expected compiler or interpreter, found '" + engineName + "'");
    }
    Object config = options.get("config");
    byte[] plugin;
    try {
      plugin = config == null ? new byte[0] : config instanceof String s
          ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(config);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config: cannot serialise: " + e.getOriginalMessage());
    }
    byte[] wasm;
    try {
      wasm = Files.readAllBytes(Path.of(path));
    } catch (IOException e) {
      throw new IllegalArgumentException("module: cannot read '" + path + "': " + e);
    }
    String file = Path.of(path).getFileName().toString();
    try {
      return new WasmFilterFactory(engine.load(file, wasm, WasmLimits.DEFAULT), plugin,
          policy.equals("fail_open"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("module: " + e.getMessage(), e);
    }
  }
}

package io.protean.wasm.filter;

import io.protean.abi.ExtensionContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.wasm.module.ModuleOptions;
import io.protean.wasm.module.ModuleSource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code filters: [{wasm: {module: filter.wasm, config: ..., failure_policy: fail_closed|fail_open,
 * body: false|true, engine: ..., max_call_time: ..., ...}}]}: a proxy-wasm 0.2.1 filter (built with the official Rust
 * or Go SDK, for example). The module options, limits included, are those of every Wasm extension
 * ({@link ModuleOptions}). {@code config} is the plugin configuration: a string as-is, anything
 * else as JSON. {@code body: true} runs the body callbacks with each frame's bytes (read-only, up
 * to {@code max_block_bytes}); off by default, since each costs a guest call per request.
 */
public final class WasmFilterProvider implements FilterProvider {
  private static final List<String> OPTIONS = List.of("config", "failure_policy", "body");

  @Override
  public String name() {
    return "wasm";
  }

  @Override
  public FilterFactory create(Map<String, Object> options, ExtensionContext context) {
    ModuleSource source = ModuleOptions.parse(options, OPTIONS);
    String policy = String.valueOf(options.getOrDefault("failure_policy", "fail_closed"));
    if (!policy.equals("fail_closed") && !policy.equals("fail_open")) {
      throw new IllegalArgumentException("failure_policy: expected fail_closed or fail_open, found '" + policy + "'");
    }
    Object body = options.getOrDefault("body", false);
    if (!(body instanceof Boolean)) {
      throw new IllegalArgumentException("body: expected true or false, found '" + body + "'");
    }
    Object config = options.get("config");
    byte[] plugin = config == null ? new byte[0] : config instanceof String s
        ? s.getBytes(StandardCharsets.UTF_8) : ModuleOptions.json("config", config);
    try {
      return new WasmFilterFactory(source, plugin, policy.equals("fail_open"), (Boolean) body,
          context.metrics(), context.callouts());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("module: " + e.getMessage(), e);
    }
  }
}

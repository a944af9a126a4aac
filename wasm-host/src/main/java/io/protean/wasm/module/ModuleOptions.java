package io.protean.wasm.module;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The options every Wasm extension takes, codec or filter alike, parsed here once:
 *
 * <pre>
 * module: path/to/x.wasm     # required; relative to the working directory
 * engine: compiler           # compiler (default) | interpreter
 * max_memory_pages: 1024     # the limits of {@link WasmLimits}, each optional (default there)
 * max_call_time: 1s          # 250ms, 5s
 * max_block_bytes: 16777216
 * max_pairs: 1024
 * max_string_bytes: 65536
 * </pre>
 *
 * Errors name the option and the value found, as {@code field: problem}.
 */
public final class ModuleOptions {
  /** The options read here, in the order the documentation lists them. */
  public static final List<String> NAMES = List.of("module", "engine", "max_memory_pages",
      "max_call_time", "max_block_bytes", "max_pairs", "max_string_bytes");
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModuleOptions() {}

  /**
   * Checks that every key of {@code options} is one of {@link #NAMES} or of {@code own} (the
   * extension's other options), and reads the module's source.
   *
   * @throws IllegalArgumentException naming the first bad option
   */
  public static ModuleSource parse(Map<String, Object> options, List<String> own) {
    List<String> known = new ArrayList<>(NAMES);
    known.addAll(own);
    for (String key : options.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(key + ": unknown field (expected one of " + known + ")");
      }
    }
    if (!(options.get("module") instanceof String path) || path.isBlank()) {
      throw new IllegalArgumentException("module: required, the path of a .wasm file");
    }
    String engineName = String.valueOf(options.getOrDefault("engine", "compiler"));
    Engine engine;
    try {
      engine = Engine.valueOf(engineName.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("engine: expected compiler or interpreter, found '" + engineName + "'");
    }
    return ModuleSource.file(Path.of(path), engine, limits(options));
  }

  /**
   * {@code value} (YAML decoded to maps, lists, strings, numbers) as JSON, the form a module reads
   * its configuration in.
   *
   * @throws IllegalArgumentException naming {@code key} if it cannot be serialised
   */
  public static byte[] json(String key, Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(key + ": cannot serialise: " + e.getOriginalMessage());
    }
  }

  /** The limits set in {@code options}, {@link WasmLimits#DEFAULT} for those not set. */
  static WasmLimits limits(Map<String, Object> options) {
    WasmLimits d = WasmLimits.DEFAULT;
    return new WasmLimits(
        number(options, "max_memory_pages", 1, 65536, d.maxMemoryPages()),
        duration(options, "max_call_time", d.maxCallTime()),
        number(options, "max_block_bytes", 16, Integer.MAX_VALUE, d.maxBlockBytes()),
        number(options, "max_pairs", 0, Integer.MAX_VALUE, d.maxPairs()),
        number(options, "max_string_bytes", 1, Integer.MAX_VALUE, d.maxStringBytes()));
  }

  private static int number(Map<String, Object> options, String key, int min, int max, int fallback) {
    Object v = options.get(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Integer n) || n < min || n > max) {
      throw new IllegalArgumentException(key + ": expected a whole number from " + min + " to " + max
          + ", found '" + v + "'");
    }
    return n;
  }

  /** {@code 250ms} or {@code 5s}, more than zero. */
  private static Duration duration(Map<String, Object> options, String key, Duration fallback) {
    Object v = options.get(key);
    if (v == null) {
      return fallback;
    }
    Matcher m = DURATION.matcher(v.toString().trim());
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new IllegalArgumentException(key + ": expected a duration like 250ms or 5s, found '" + v + "'");
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
  }
}

package io.protean.wasm.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.abi.ExtensionContext;
import io.protean.testing.RecordingMetrics;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.codec.WasmCodecProvider;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.filter.WasmFilterProvider;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The module options, read once for codecs and filters alike. */
class ModuleOptionsTest {
  static final ExtensionContext CONTEXT = ExtensionContext.of(new RecordingMetrics());
  static final String CODEC = "src/test/resources/wasm/lenprefix.wasm";
  static final String FILTER = "src/test/resources/wasm/filters/hostile_filter.wasm";

  @Test
  void readsEveryLimitAndDefaultsTheRest() {
    ModuleSource all = ModuleOptions.parse(Map.of("module", CODEC, "engine", "interpreter",
        "max_memory_pages", 3, "max_call_time", "250ms", "max_block_bytes", 4096, "max_pairs", 7,
        "max_string_bytes", 99), List.of());
    assertThat(all.name()).isEqualTo("lenprefix.wasm");
    assertThat(all.engine()).isEqualTo(Engine.INTERPRETER);
    assertThat(all.limits()).isEqualTo(new WasmLimits(3, Duration.ofMillis(250), 4096, 7, 99));
    assertThat(all.load().limits()).as("the loaded module carries them").isEqualTo(all.limits());

    ModuleSource none = ModuleOptions.parse(Map.of("module", CODEC), List.of());
    assertThat(none.engine()).isEqualTo(Engine.COMPILER);
    assertThat(none.limits()).isEqualTo(WasmLimits.DEFAULT);
    assertThat(ModuleOptions.parse(Map.of("module", CODEC, "max_call_time", "5s"), List.of())
        .limits().maxCallTime()).isEqualTo(Duration.ofSeconds(5));
  }

  static Stream<Arguments> providers() {
    Function<Map<String, Object>, Object> codec = o -> new WasmCodecProvider().create(o, CONTEXT);
    Function<Map<String, Object>, Object> filter = o -> new WasmFilterProvider().create(o, CONTEXT);
    return Stream.of(Arguments.of("codec", CODEC, codec), Arguments.of("filter", FILTER, filter));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("providers")
  void codecsAndFiltersTakeTheSameLimitOptions(String kind, String module,
      Function<Map<String, Object>, Object> create) {
    Map<String, Object> options = new HashMap<>(Map.of("module", module, "max_memory_pages", 8,
        "max_call_time", "50ms", "max_block_bytes", 1024, "max_pairs", 16, "max_string_bytes", 128));
    assertThat(create.apply(options)).isNotNull();

    for (var bad : List.of(
        Map.entry("max_memory_pages", (Object) 0), Map.entry("max_memory_pages", "many"),
        Map.entry("max_call_time", "0ms"), Map.entry("max_call_time", "1m"),
        Map.entry("max_block_bytes", 8), Map.entry("max_pairs", -1),
        Map.entry("max_string_bytes", 0))) {
      Map<String, Object> wrong = new HashMap<>(options);
      wrong.put(bad.getKey(), bad.getValue());
      assertThatThrownBy(() -> create.apply(wrong)).as(kind + " " + bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(bad.getKey() + ": expected ")
          .hasMessageEndingWith(", found '" + bad.getValue() + "'");
    }
    assertThatThrownBy(() -> create.apply(Map.of("module", module, "max_stack", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("max_stack: unknown field (expected one of [module, engine, "
            + "max_memory_pages, max_call_time, max_block_bytes, max_pairs, max_string_bytes, config, ");
    assertThatThrownBy(() -> create.apply(Map.of("module", module, "engine", "jit")))
        .hasMessage("engine: expected compiler or interpreter, found 'jit'");
    assertThatThrownBy(() -> create.apply(Map.of("engine", "compiler")))
        .hasMessage("module: required, the path of a .wasm file");
    assertThatThrownBy(() -> create.apply(Map.of("module", "no/such.wasm")))
        .hasMessageStartingWith("module: cannot read 'no/such.wasm': java.nio.file.NoSuchFileException");
  }
}

package io.protean.wasm.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import run.endive.wasm.Parser;
import run.endive.wasm.WasmModule;

/** Which functions of the example codecs would pass HotSpot's huge-method limit, and the warning. */
class HugeFunctionsTest {
  private static WasmModule module(String path) throws IOException {
    return Parser.parse(Files.readAllBytes(Path.of("..", path)));
  }

  @Test
  void goThriftCodecHasHugeFunctionsAmongThemItsDecode() throws IOException {
    // Function 1353 is main.(*connection).Decode (wasm-objdump -x), 10,592 bytes of Wasm.
    List<int[]> huge = HugeFunctions.find(module("example-codecs-tinygo/wasm/thrift.wasm"));
    assertThat(huge).anySatisfy(f -> {
      assertThat(f[0]).isEqualTo(1353);
      assertThat(f[1]).isBetween(10_000, 10_600);
    });
    assertThat(huge).allSatisfy(f -> assertThat(f[1]).isGreaterThan(HugeFunctions.WASM_BODY_BYTES));
  }

  @Test
  void rustDubboCodecHasNone() throws IOException {
    WasmModule rust = module("example-codecs-rust/wasm/dubbo.wasm");
    assertThat(HugeFunctions.find(rust)).isEmpty();
    assertThat(HugeFunctions.warning("dubbo.wasm", rust, true)).isNull();
  }

  @Test
  void warnsOnlyWhenTheJvmSkipsHugeMethods() throws IOException {
    WasmModule go = module("example-codecs-tinygo/wasm/thrift.wasm");
    assertThat(HugeFunctions.warning("thrift.wasm", go, false)).isNull();
    assertThat(HugeFunctions.warning("thrift.wasm", go, true))
        .startsWith("thrift.wasm: ")
        .contains("largest: function ", "-XX:-DontCompileHugeMethods");
  }
}

package io.protean.proxy.e2e;

import org.junit.jupiter.api.Nested;

/**
 * The Dubbo end-to-end scenarios with the Rust Dubbo codec compiled to Wasm
 * (example-codecs-rust/wasm/dubbo.wasm), on the Endive compiler and interpreter, and with the Go
 * port of it (example-codecs-tinygo/wasm/dubbo.wasm) on the compiler.
 */
class WasmDubboEndToEndTest {
  static final String MODULE = "../example-codecs-rust/wasm/dubbo.wasm";
  static final String GO_MODULE = "../example-codecs-tinygo/wasm/dubbo.wasm";

  @Nested
  class Compiler extends DubboEndToEndTest {
    @Override
    String codec() {
      return "{wasm: {module: " + MODULE + ", engine: compiler}}";
    }
  }

  @Nested
  class Interpreter extends DubboEndToEndTest {
    @Override
    String codec() {
      // The interpreter needs seconds (not the default 1 s) to skip the 1 MiB payload test's
      // argument; that is what the limit is for, and why the compiler is the default.
      return "{wasm: {module: " + MODULE + ", engine: interpreter, max_call_time: 20s}}";
    }
  }

  @Nested
  class GoCompiler extends DubboEndToEndTest {
    @Override
    String codec() {
      return "{wasm: {module: " + GO_MODULE + ", engine: compiler}}";
    }
  }
}

package io.protean.proxy.e2e;

/**
 * {@link RegistryDubboEndToEndTest} with the Rust Dubbo codec compiled to Wasm, on the Endive
 * compiler. The Go port (example-codecs-tinygo) reads hessian2 only, so it cannot serve a
 * default Dubbo 3.2 deployment (fastjson2) and is not run here.
 */
class WasmRegistryDubboEndToEndTest extends RegistryDubboEndToEndTest {
  @Override
  String codec() {
    return "{wasm: {module: " + WasmDubboEndToEndTest.MODULE + ", engine: compiler}}";
  }
}

package io.protean.proxy.e2e;

/**
 * Metadata mutation both ways through the Rust Wasm Dubbo codec
 * (example-codecs-rust/codecs/dubbo), which exports {@code protean_codec_encodes_responses}.
 */
class WasmMetadataMutationEndToEndTest extends MetadataMutationEndToEndTest {
  @Override
  String codec() {
    return "{wasm: {module: ../example-codecs-rust/wasm/dubbo.wasm}}";
  }
}

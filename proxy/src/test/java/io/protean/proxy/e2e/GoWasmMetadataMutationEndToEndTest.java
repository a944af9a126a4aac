package io.protean.proxy.e2e;

/**
 * Metadata mutation both ways through the Go Wasm Dubbo codec
 * (example-codecs-tinygo/codecs/dubbo), which exports {@code protean_codec_encodes_responses}.
 */
class GoWasmMetadataMutationEndToEndTest extends MetadataMutationEndToEndTest {
  @Override
  String codec() {
    return "{wasm: {module: ../example-codecs-tinygo/wasm/dubbo.wasm}}";
  }
}

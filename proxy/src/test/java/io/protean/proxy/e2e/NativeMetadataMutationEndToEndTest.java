package io.protean.proxy.e2e;

/** Metadata mutation both ways with the native Java Dubbo codec. */
class NativeMetadataMutationEndToEndTest extends MetadataMutationEndToEndTest {
  @Override
  String codec() {
    return "dubbo";
  }
}

package io.protean.proxy.e2e;

/** {@link RegistryDubboEndToEndTest} with the native Dubbo codec. */
class NativeRegistryDubboEndToEndTest extends RegistryDubboEndToEndTest {
  @Override
  String codec() {
    return "dubbo";
  }
}

package io.protean.proxy.e2e;

/** The Dubbo end-to-end scenarios with the native Java codec. */
class NativeDubboEndToEndTest extends DubboEndToEndTest {
  @Override
  String codec() {
    return "dubbo";
  }
}

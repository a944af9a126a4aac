package io.protean.abi;

import java.util.Objects;

/**
 * What the proxy hands a codec or filter provider when it builds a factory
 * ({@link io.protean.abi.codec.CodecProvider#create(java.util.Map, ExtensionContext)},
 * {@link io.protean.abi.filter.FilterProvider#create(java.util.Map, ExtensionContext)}).
 */
public interface ExtensionContext {

  /** The proxy's one metrics registry: what an extension counts is rendered with the rest. */
  Metrics metrics();

  /** HTTP requests to the proxy's clusters (proxy-wasm's {@code proxy_http_call}). */
  default HttpCallouts callouts() {
    return HttpCallouts.NONE;
  }

  /** A context that hands out {@code metrics}, with no clusters to call. */
  static ExtensionContext of(Metrics metrics) {
    Objects.requireNonNull(metrics, "metrics");
    return () -> metrics;
  }

  /** A context that hands out {@code metrics} and {@code callouts}. */
  static ExtensionContext of(Metrics metrics, HttpCallouts callouts) {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(callouts, "callouts");
    return new ExtensionContext() {
      @Override
      public Metrics metrics() {
        return metrics;
      }

      @Override
      public HttpCallouts callouts() {
        return callouts;
      }
    };
  }
}

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

  /** A context that hands out {@code metrics}. */
  static ExtensionContext of(Metrics metrics) {
    Objects.requireNonNull(metrics, "metrics");
    return () -> metrics;
  }
}

package io.protean.abi.filter;

import io.protean.abi.ExtensionContext;
import java.util.Map;

/**
 * Registers a filter type by name (found with {@link java.util.ServiceLoader}). A listener's
 * {@code filters: [{NAME: {config}}]} entry is handed to the provider named NAME. A provider
 * implements one of the two {@code create} methods; the proxy calls the one with the context.
 */
public interface FilterProvider {

  /** The name used in config. */
  String name();

  /**
   * Builds a factory from the filter's config (YAML decoded to maps, lists, strings, numbers and
   * booleans). The default is {@link #create(Map)}, for filters that need nothing from the proxy.
   *
   * @param context what the proxy offers its extensions: the metrics registry the factory
   *                registers its metrics with
   * @throws IllegalArgumentException for invalid config, with a message naming the field and value
   */
  default FilterFactory create(Map<String, Object> config, ExtensionContext context) {
    return create(config);
  }

  /**
   * Builds the factory of a filter that needs nothing from the proxy (no metrics).
   *
   * @throws IllegalArgumentException for invalid config, with a message naming the field and value
   * @throws UnsupportedOperationException if the provider implements only
   *     {@link #create(Map, ExtensionContext)}
   */
  default FilterFactory create(Map<String, Object> config) {
    throw new UnsupportedOperationException(name() + " needs an ExtensionContext: call "
        + "create(config, context)");
  }
}

package io.protean.abi.filter;

import java.util.Map;

/**
 * Registers a filter type by name (found with {@link java.util.ServiceLoader}). A listener's
 * {@code filters: [{NAME: {config}}]} entry is handed to the provider named NAME.
 */
public interface FilterProvider {

  /** The name used in config. */
  String name();

  /**
   * Builds a factory from the filter's config (YAML decoded to maps, lists, strings, numbers and
   * booleans).
   *
   * @throws IllegalArgumentException for invalid config, with a message naming the field and value
   */
  FilterFactory create(Map<String, Object> config);
}

package io.protean.abi.codec;

import java.util.Map;

/**
 * Registers a codec by name (found with {@link java.util.ServiceLoader}). A listener's
 * {@code codec: NAME} or {@code codec: {NAME: {options}}} is handed to the provider named NAME.
 */
public interface CodecProvider {

  /** The name used in config. */
  String name();

  /**
   * Builds the codec factory from its options (YAML decoded to maps, lists, strings, numbers).
   *
   * @throws IllegalArgumentException for invalid options, naming the option and the bad value
   */
  CodecFactory create(Map<String, Object> options);
}

package io.protean.abi.codec;

import io.protean.abi.ExtensionContext;
import java.util.Map;

/**
 * Registers a codec by name (found with {@link java.util.ServiceLoader}). A listener's
 * {@code codec: NAME} or {@code codec: {NAME: {options}}} is handed to the provider named NAME.
 * A provider implements one of the two {@code create} methods; the proxy calls the one with the
 * context.
 */
public interface CodecProvider {

  /** The name used in config. */
  String name();

  /**
   * Builds the codec factory from its options (YAML decoded to maps, lists, strings, numbers).
   * The default is {@link #create(Map)}, for codecs that need nothing from the proxy.
   *
   * @param context what the proxy offers its extensions: the metrics registry the factory
   *                registers its metrics with
   * @throws IllegalArgumentException for invalid options, naming the option and the bad value
   */
  default CodecFactory create(Map<String, Object> options, ExtensionContext context) {
    return create(options);
  }

  /**
   * Builds the codec factory of a codec that needs nothing from the proxy (no metrics).
   *
   * @throws IllegalArgumentException for invalid options, naming the option and the bad value
   * @throws UnsupportedOperationException if the provider implements only
   *     {@link #create(Map, ExtensionContext)}
   */
  default CodecFactory create(Map<String, Object> options) {
    throw new UnsupportedOperationException(name() + " needs an ExtensionContext: call "
        + "create(options, context)");
  }
}

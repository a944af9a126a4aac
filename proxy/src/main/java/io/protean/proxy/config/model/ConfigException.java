package io.protean.proxy.config.model;

/**
 * Invalid configuration. The message starts with the field path, e.g. {@code listeners[0].address}.
 * An {@link IllegalArgumentException}, so a codec or filter provider may throw it for its own options.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String path, String problem) {
    super(path + ": " + problem);
  }
}

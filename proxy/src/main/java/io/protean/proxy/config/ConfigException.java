package io.protean.proxy.config;

/** Invalid configuration. The message starts with the field path, e.g. {@code listeners[0].address}. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String path, String problem) {
    super(path + ": " + problem);
  }
}

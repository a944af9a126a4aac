package io.protean.proxy.config.model;

/**
 * Invalid configuration. The message starts with the field path, e.g. {@code listeners[0].address}.
 * An {@link IllegalArgumentException}, so a codec or filter provider may throw it for its own options.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final String problem;

  public ConfigException(String path, String problem) {
    super(path + ": " + problem);
    this.path = path;
    this.problem = problem;
  }

  /** The field at fault, e.g. {@code clusters[1].endpoints[0]}. */
  public String path() {
    return path;
  }

  /** What is wrong with it. */
  public String problem() {
    return problem;
  }
}

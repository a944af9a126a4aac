package io.protean.proxy.codec;

import io.protean.abi.ExtensionContext;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.observability.Stats;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The codecs this proxy knows, by config name, found with {@link ServiceLoader}. */
public final class CodecRegistry {
  private final Map<String, CodecProvider> providers = new TreeMap<>();
  private final ExtensionContext context;

  /** Codecs built here register their metrics with {@code context}'s registry (the proxy's). */
  public CodecRegistry(ExtensionContext context) {
    this.context = context;
    for (CodecProvider p : ServiceLoader.load(CodecProvider.class)) {
      providers.put(p.name(), p);
    }
  }

  /** Codecs whose metrics go to a registry of their own, never rendered: for validation and tools. */
  public CodecRegistry() {
    this(ExtensionContext.of(new Stats()));
  }

  public boolean contains(String name) {
    return providers.containsKey(name);
  }

  /** Builds the factory for {@code config}; bad options become a {@link ConfigException} at {@code path}. */
  public CodecFactory create(CodecConfig config, String path) {
    CodecProvider p = providers.get(config.name());
    if (p == null) {
      throw new ConfigException(path, "unknown codec '" + config.name() + "' (known: "
          + providers.keySet() + ")");
    }
    try {
      return p.create(config.options(), context);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(path + "." + config.name(), e.getMessage());
    }
  }
}

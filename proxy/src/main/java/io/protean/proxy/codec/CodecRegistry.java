package io.protean.proxy.codec;

import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The codecs this proxy knows, by config name, found with {@link ServiceLoader}. */
public final class CodecRegistry {
  private final Map<String, CodecProvider> providers = new TreeMap<>();

  public CodecRegistry() {
    for (CodecProvider p : ServiceLoader.load(CodecProvider.class)) {
      providers.put(p.name(), p);
    }
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
      return p.create(config.options());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(path + "." + config.name(), e.getMessage());
    }
  }
}

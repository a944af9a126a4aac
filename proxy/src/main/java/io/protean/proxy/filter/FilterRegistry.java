package io.protean.proxy.filter;

import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig.FilterConfig;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The filters this proxy knows, by config name, found with {@link ServiceLoader}. */
public final class FilterRegistry {
  private final Map<String, FilterProvider> providers = new TreeMap<>();

  public FilterRegistry() {
    for (FilterProvider p : ServiceLoader.load(FilterProvider.class)) {
      providers.put(p.name(), p);
    }
  }

  public boolean contains(String name) {
    return providers.containsKey(name);
  }

  /** Builds the factory for {@code config}; bad config becomes a {@link ConfigException} at {@code path}. */
  public FilterFactory create(FilterConfig config, String path) {
    FilterProvider p = providers.get(config.name());
    if (p == null) {
      throw new ConfigException(path, "unknown filter '" + config.name() + "' (known: "
          + providers.keySet() + ")");
    }
    try {
      return p.create(config.config());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(path + "." + config.name(), e.getMessage());
    }
  }
}

package io.protean.proxy.filter;

import io.protean.abi.ExtensionContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig.FilterConfig;
import io.protean.proxy.observability.Stats;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The filters this proxy knows, by config name, found with {@link ServiceLoader}. */
public final class FilterRegistry {
  private final Map<String, FilterProvider> providers = new TreeMap<>();
  private final ExtensionContext context;

  /** Filters built here register their metrics with {@code context}'s registry (the proxy's). */
  public FilterRegistry(ExtensionContext context) {
    this.context = context;
    for (FilterProvider p : ServiceLoader.load(FilterProvider.class)) {
      providers.put(p.name(), p);
    }
  }

  /** Filters whose metrics go to a registry of their own, never rendered: for validation and tools. */
  public FilterRegistry() {
    this(ExtensionContext.of(new Stats()));
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
      return p.create(config.config(), context);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(path + "." + config.name(), e.getMessage());
    }
  }
}

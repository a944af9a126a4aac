package io.protean.proxy.filter;

import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.config.model.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code set_metadata}: sets and removes request metadata keys before routing; the codec carries
 * the change upstream (for Dubbo: the request's attachments). Config: {@code set} (key: value) and
 * {@code remove} (list of keys).
 */
public final class SetMetadataFilterProvider implements FilterProvider {

  @Override
  public String name() {
    return "set_metadata";
  }

  @Override
  public FilterFactory create(Map<String, Object> config) {
    Options.allowOnly(config, Set.of("set", "remove"));
    Map<String, String> set = new LinkedHashMap<>();
    Object setNode = config.getOrDefault("set", Map.of());
    if (!(setNode instanceof Map<?, ?> map)) {
      throw new ConfigException("set", "expected a mapping of key: value");
    }
    map.forEach((k, v) -> {
      if (v == null || v instanceof Map || v instanceof List) {
        throw new ConfigException("set." + k, "expected a string value");
      }
      set.put(String.valueOf(k), String.valueOf(v));
    });
    List<String> remove = new ArrayList<>();
    Object removeNode = config.getOrDefault("remove", List.of());
    if (!(removeNode instanceof List<?> list)) {
      throw new ConfigException("remove", "expected a list of keys");
    }
    list.forEach(k -> remove.add(String.valueOf(k)));
    if (set.isEmpty() && remove.isEmpty()) {
      throw new ConfigException("set", "nothing to do: give set and/or remove");
    }
    Filter filter = new Filter() {
      @Override
      public FilterStatus onRequest(FilterContext ctx) {
        remove.forEach(k -> {
          if (ctx.request().metadata().contains(k)) {
            ctx.setRequestMetadata(k, null);
          }
        });
        set.forEach(ctx::setRequestMetadata);
        return FilterStatus.CONTINUE;
      }
    };
    return () -> filter;
  }
}

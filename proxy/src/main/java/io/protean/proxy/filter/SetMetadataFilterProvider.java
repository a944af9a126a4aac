package io.protean.proxy.filter;

import io.protean.abi.codec.Metadata;
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
import java.util.function.BiConsumer;

/**
 * {@code set_metadata}: changes request metadata before routing and response metadata before the
 * response goes downstream; the codec carries the change on the wire (for Dubbo: the request's or
 * the response's attachments). Config: a {@code request} and a {@code response} section, each with
 * {@code remove} (list of keys), {@code rename} (from: to; an absent key renames nothing) and
 * {@code set} (key: value), applied in that order. {@code set} and {@code remove} at the top level
 * are the request section (the original shape).
 */
public final class SetMetadataFilterProvider implements FilterProvider {
  private static final Set<String> SECTION_FIELDS = Set.of("set", "remove", "rename");

  @Override
  public String name() {
    return "set_metadata";
  }

  @Override
  public FilterFactory create(Map<String, Object> config) {
    Options.allowOnly(config, Set.of("set", "remove", "request", "response"));
    boolean flat = config.containsKey("set") || config.containsKey("remove");
    if (flat && config.containsKey("request")) {
      throw new ConfigException("request", "give set/remove either at the top level or under "
          + "request, not both");
    }
    Changes request = flat ? Changes.parse(config, "") : Changes.parse(section(config, "request"),
        "request.");
    Changes response = Changes.parse(section(config, "response"), "response.");
    if (request.isEmpty() && response.isEmpty()) {
      throw new ConfigException(flat ? "set" : "request",
          "nothing to do: give set, remove or rename under request and/or response");
    }
    Filter filter = new Filter() {
      @Override
      public FilterStatus onRequest(FilterContext ctx) {
        request.apply(ctx.request().metadata(), ctx::setRequestMetadata);
        return FilterStatus.CONTINUE;
      }

      @Override
      public FilterStatus onResponse(FilterContext ctx) {
        if (response.isEmpty()) {
          return FilterStatus.CONTINUE; // looking at the response would decode its attachments
        }
        response.apply(ctx.response().metadata(), ctx::setResponseMetadata);
        return FilterStatus.CONTINUE;
      }
    };
    String responseField = response.isEmpty() ? null : "response";
    return new FilterFactory() {
      @Override
      public Filter newFilter() {
        return filter;
      }

      @Override
      public String responseMutationField() {
        return responseField;
      }
    };
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> section(Map<String, Object> config, String name) {
    Object node = config.getOrDefault(name, Map.of());
    if (!(node instanceof Map<?, ?>)) {
      throw new ConfigException(name, "expected a mapping with set, remove and/or rename");
    }
    Map<String, Object> section = (Map<String, Object>) node;
    for (String key : section.keySet()) {
      if (!SECTION_FIELDS.contains(key)) {
        throw new ConfigException(name + "." + key, "unknown field (expected one of "
            + SECTION_FIELDS + ")");
      }
    }
    return section;
  }

  /** One direction's changes, applied as remove, rename, set. */
  private record Changes(List<String> remove, Map<String, String> rename, Map<String, String> set) {

    static Changes parse(Map<String, Object> section, String prefix) {
      return new Changes(keys(section, "remove", prefix), pairs(section, "rename", prefix),
          pairs(section, "set", prefix));
    }

    boolean isEmpty() {
      return remove.isEmpty() && rename.isEmpty() && set.isEmpty();
    }

    void apply(Metadata metadata, BiConsumer<String, String> change) {
      for (String k : remove) {
        if (metadata.contains(k)) {
          change.accept(k, null);
        }
      }
      rename.forEach((from, to) -> {
        String value = metadata.get(from);
        if (value != null) {
          change.accept(from, null);
          change.accept(to, value);
        }
      });
      set.forEach(change);
    }

    private static List<String> keys(Map<String, Object> section, String field, String prefix) {
      Object node = section.getOrDefault(field, List.of());
      if (!(node instanceof List<?> list)) {
        throw new ConfigException(prefix + field, "expected a list of keys");
      }
      List<String> keys = new ArrayList<>();
      list.forEach(k -> keys.add(String.valueOf(k)));
      return List.copyOf(keys);
    }

    private static Map<String, String> pairs(Map<String, Object> section, String field,
        String prefix) {
      Object node = section.getOrDefault(field, Map.of());
      if (!(node instanceof Map<?, ?> map)) {
        throw new ConfigException(prefix + field, "expected a mapping of key: value");
      }
      Map<String, String> pairs = new LinkedHashMap<>();
      map.forEach((k, v) -> {
        if (v == null || v instanceof Map || v instanceof List) {
          throw new ConfigException(prefix + field + "." + k, "expected a string value");
        }
        pairs.put(String.valueOf(k), String.valueOf(v));
      });
      return pairs;
    }
  }
}

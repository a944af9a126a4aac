package io.protean.proxy.filter;

import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.route.MetadataMatcher;
import java.util.Map;
import java.util.Set;

/**
 * {@code deny}: answers requests whose metadata matches with the protocol's error reply, before
 * routing. Config: {@code match} (conditions as in routes, all must hold) and {@code message}.
 */
public final class DenyFilterProvider implements FilterProvider {

  @Override
  public String name() {
    return "deny";
  }

  @Override
  public FilterFactory create(Map<String, Object> config) {
    Options.allowOnly(config, Set.of("match", "message"));
    if (config.get("match") == null) {
      throw new ConfigException("match", "required field is missing");
    }
    MetadataMatcher matcher = new MetadataMatcher(ConfigLoader.conditions(config.get("match"), "match"));
    String message = Options.string(config, "message", "request denied by policy");
    Filter filter = new Filter() {
      @Override
      public FilterStatus onRequest(FilterContext ctx) {
        if (matcher.matches(ctx.request().metadata())) {
          ctx.sendLocalReply(ErrorType.LOCAL_REPLY, message);
          return FilterStatus.STOP;
        }
        return FilterStatus.CONTINUE;
      }
    };
    return () -> filter; // stateless: one instance serves every request
  }
}

package io.protean.proxy.codec.thrift;

import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;

/**
 * {@code codec: thrift} or
 * {@code codec: {thrift: {max_frame_size: N, transport: auto|framed|unframed|header,
 * protocol: auto|binary|compact, oneway_methods: [name, ...]}}}.
 * {@code max_frame_size} is in bytes (default 16384000, libthrift's own); {@code transport} and
 * {@code protocol} default to {@code auto}, detected on each connection's first message;
 * {@code oneway_methods} names the methods whose CALL messages are one-way (default none).
 */
public final class ThriftCodecProvider implements CodecProvider {

  @Override
  public String name() {
    return "thrift";
  }

  @Override
  public CodecFactory create(Map<String, Object> options) {
    ThriftLimits limits = ThriftLimits.DEFAULT;
    String transport = null;
    String protocol = null;
    Set<String> onewayMethods = Set.of();
    for (Map.Entry<String, Object> e : options.entrySet()) {
      switch (e.getKey()) {
        case "max_frame_size" -> {
          if (!(e.getValue() instanceof Integer n) || n <= 0) {
            throw new IllegalArgumentException("max_frame_size: expected a positive number of bytes,"
                + " found '" + e.getValue() + "'");
          }
          limits = limits.withMaxFrameBytes(n);
        }
        case "transport" -> transport = choice("transport", e.getValue(),
            List.of("auto", "framed", "unframed", "header"));
        case "protocol" -> protocol = choice("protocol", e.getValue(),
            List.of("auto", "binary", "compact"));
        case "oneway_methods" -> onewayMethods = methodNames("oneway_methods", e.getValue());
        default -> throw new IllegalArgumentException(e.getKey()
            + ": unknown option (expected max_frame_size, transport, protocol or oneway_methods)");
      }
    }
    return new ThriftCodecFactory(limits, transport, protocol, onewayMethods);
  }

  /** A list of method names ("method" or "Service:method"), none empty. */
  private static Set<String> methodNames(String option, Object value) {
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException(option + ": expected a list of method names, found '"
          + value + "'");
    }
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof String name) || name.isEmpty() || name.endsWith(":")) {
        throw new IllegalArgumentException(option + "[" + i + "]: expected a method name"
            + " (method or Service:method), found '" + list.get(i) + "'");
      }
      names.add(name);
    }
    return names;
  }

  /** The chosen value, or null for "auto". */
  private static String choice(String option, Object value, List<String> allowed) {
    if (!(value instanceof String s) || !allowed.contains(s)) {
      throw new IllegalArgumentException(option + ": expected one of " + String.join(", ", allowed)
          + ", found '" + value + "'");
    }
    return s.equals("auto") ? null : s;
  }
}

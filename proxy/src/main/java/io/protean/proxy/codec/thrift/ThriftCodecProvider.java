package io.protean.proxy.codec.thrift;

import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import java.util.List;
import java.util.Map;

/**
 * {@code codec: thrift} or
 * {@code codec: {thrift: {max_frame_size: N, transport: auto|framed|unframed, protocol: auto|binary|compact}}}.
 * {@code max_frame_size} is in bytes (default 16384000, libthrift's own); {@code transport} and
 * {@code protocol} default to {@code auto}, detected on each connection's first message.
 * {@code transport: header} (THeader) is refused: not supported yet.
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
    for (Map.Entry<String, Object> e : options.entrySet()) {
      switch (e.getKey()) {
        case "max_frame_size" -> {
          if (!(e.getValue() instanceof Integer n) || n <= 0) {
            throw new IllegalArgumentException("max_frame_size: expected a positive number of bytes,"
                + " found '" + e.getValue() + "'");
          }
          limits = limits.withMaxFrameBytes(n);
        }
        case "transport" -> {
          if ("header".equals(e.getValue())) {
            throw new IllegalArgumentException("transport: 'header' (THeader) is not supported yet;"
                + " expected auto, framed or unframed");
          }
          transport = choice("transport", e.getValue(), List.of("auto", "framed", "unframed"));
        }
        case "protocol" -> protocol = choice("protocol", e.getValue(),
            List.of("auto", "binary", "compact"));
        default -> throw new IllegalArgumentException(e.getKey()
            + ": unknown option (expected max_frame_size, transport or protocol)");
      }
    }
    return new ThriftCodecFactory(limits, transport, protocol);
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
